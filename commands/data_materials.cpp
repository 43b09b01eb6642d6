// Material data for the Blender add-on: basic, lambert, phong, standard, pbr,
// and a material property (mat-prop-data) with the fields it saves.
#include "unit/args.h"
#include "data/blender.h"
#include "unit/command.h"
#include "data/data_fields.h"

namespace hvym::commands {
namespace {

using K = Kind;
using T = Type;

constexpr Param kEmissive = {K::Option, T::String, "--emissive", "-e", "Emissive colour.", false};
constexpr Param kEmissiveIntensity = {K::Option, T::Float, "--emissive-intensity", "-ei",
                                      "Emissive intensity.", false};

// basic-material-data / lambert-material-data COLOR [-e C] [-ei F]
constexpr Param kBasicParams[] = {argument("color"), kEmissive, kEmissiveIntensity};
constexpr Field kBasicFields[] = {{"color", "color"}, {"emissive", "--emissive"},
                                  {"emissive_intensity", "--emissive-intensity"}};

// phong-material-data COLOR SPECULAR SHININESS [-e C] [-ei F]
constexpr Param kPhongParams[] = {argument("color"), argument("specular"), argument("shininess", T::Float),
                                  kEmissive, kEmissiveIntensity};
constexpr Field kPhongFields[] = {{"color", "color"}, {"specular", "specular"}, {"shininess", "shininess"},
                                  {"emissive", "--emissive"}, {"emissive_intensity", "--emissive-intensity"}};

// standard-material-data COLOR ROUGHNESS METALNESS [-e C] [-ei F]
constexpr Param kStandardParams[] = {argument("color"), argument("roughness", T::Float),
                                     argument("metalness", T::Float), kEmissive, kEmissiveIntensity};
constexpr Field kStandardFields[] = {{"color", "color"}, {"roughness", "roughness"}, {"metalness", "metalness"},
                                     {"emissive", "--emissive"}, {"emissive_intensity", "--emissive-intensity"}};

// pbr-material-data COLOR ROUGHNESS METALNESS [-i B] [-s F] [-sr F] [-sc C] [-e C] [-ei F]
constexpr Param kPbrParams[] = {
    argument("color"), argument("roughness", T::Float), argument("metalness", T::Float),
    {K::Option, T::Bool, "--iridescent", "-i", "Iridescence.", false},
    {K::Option, T::Float, "--sheen", "-s", "Sheen weight.", false},
    {K::Option, T::Float, "--sheen-roughness", "-sr",
     "Accepted as the original did; the material class has no field for it.", false},
    {K::Option, T::String, "--sheen-color", "-sc", "Sheen colour.", false},
    kEmissive, kEmissiveIntensity};
constexpr Field kPbrFields[] = {{"color", "color"},
                                {"roughness", "roughness"},
                                {"metalness", "metalness"},
                                {"iridescent", "--iridescent"},
                                {"sheen_color", "--sheen-color"},
                                {"sheen_weight", "--sheen"},
                                {"emissive", "--emissive"},
                                {"emissive_intensity", "--emissive-intensity"}};

int pbr(Call& call) {
  if (call[param(kPbrParams, "--sheen-roughness")].given)
    call.err.line("hvym: --sheen-roughness has no field in the PBR material data; it is not printed");
  return emit<kPbrParams, kPbrFields>(call);
}

// mat-prop-data NAME TYPE EMISSIVE REFLECTIVE IRRIDESCENT SHEEN MAT_REF WIDGET_TYPE SHOW
constexpr Param kMatPropParams[] = {
    argument("name"),          argument("type"),          argument("emissive", T::Bool),
    argument("reflective", T::Bool), argument("irridescent", T::Bool), argument("sheen", T::Bool),
    argument("mat_ref", T::Json, "a JSON object"), argument("widget_type"), argument("show", T::Bool)};
constexpr size_t kMatName = param(kMatPropParams, "name");
constexpr size_t kMatType = param(kMatPropParams, "type");
constexpr size_t kMatEmissive = param(kMatPropParams, "emissive");
constexpr size_t kMatReflective = param(kMatPropParams, "reflective");
constexpr size_t kMatIrridescent = param(kMatPropParams, "irridescent");
constexpr size_t kMatSheen = param(kMatPropParams, "sheen");
constexpr size_t kMatRef = param(kMatPropParams, "mat_ref");
constexpr size_t kMatWidgetType = param(kMatPropParams, "widget_type");
constexpr size_t kMatShow = param(kMatPropParams, "show");
// The four flags, printed under their parameters' names in this order.
constexpr size_t kMatFlags[] = {kMatEmissive, kMatReflective, kMatIrridescent, kMatSheen};

int mat_prop(Call& call) {
  PyJson doc;
  std::string error;
  if (!doc.parse(call[kMatRef].text, error))
    return usage_error(call, "Invalid value for 'MAT_REF': not JSON (" + error + ")");
  if (!doc.is_dict(doc.root()))
    return usage_error(call, "Invalid value for 'MAT_REF': expected a JSON object, got " +
                                 std::string(doc.type_name(doc.root())));
  JsonWriter w(call.out);
  w.begin_object();
  w.key("widget_type");
  w.string(call[kMatWidgetType].text);
  w.key("show");
  w.boolean(call[kMatShow].b);
  w.key("name");
  w.string(call[kMatName].text);
  w.key("type");
  w.string(call[kMatType].text);
  for (size_t flag : kMatFlags) {
    w.key(kMatPropParams[flag].name);
    w.boolean(call[flag].b);
  }
  w.key("mat_ref");
  doc.write(w, doc.root());
  w.key("save_data");
  write_save_data(w, doc, doc.root(), call[kMatType].text, call[kMatReflective].b, call[kMatIrridescent].b,
                  call[kMatSheen].b, call[kMatEmissive].b);
  w.end_object();
  call.out.put('\n');
  return kOk;
}


}  // namespace

extern constinit const Command basic_material_data = data_command(
    "basic-material-data", "Print basic material data as JSON.", kBasicParams,
    emit<kBasicParams, kBasicFields>);
extern constinit const Command lambert_material_data = data_command(
    "lambert-material-data", "Print Lambert material data as JSON.", kBasicParams,
    emit<kBasicParams, kBasicFields>);
extern constinit const Command phong_material_data = data_command(
    "phong-material-data", "Print Phong material data as JSON.", kPhongParams,
    emit<kPhongParams, kPhongFields>);
extern constinit const Command standard_material_data = data_command(
    "standard-material-data", "Print standard material data as JSON.", kStandardParams,
    emit<kStandardParams, kStandardFields>);
extern constinit const Command pbr_material_data = data_command(
    "pbr-material-data", "Print PBR material data as JSON.", kPbrParams, pbr);
extern constinit const Command mat_prop_data = data_command(
    "mat-prop-data", "Print a material property with the fields it saves as JSON.",
    kMatPropParams, mat_prop);

}  // namespace hvym::commands
