// Material data for the Blender add-on: basic, lambert, phong, standard, pbr,
// and a material property (mat-prop-data) with the fields it saves.
#include "cli/args.h"
#include "data/blender.h"
#include "cli/command.h"
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
constexpr Field kBasicFields[] = {{"color", 0}, {"emissive", 1}, {"emissive_intensity", 2}};

// phong-material-data COLOR SPECULAR SHININESS [-e C] [-ei F]
constexpr Param kPhongParams[] = {argument("color"), argument("specular"), argument("shininess", T::Float),
                                  kEmissive, kEmissiveIntensity};
constexpr Field kPhongFields[] = {{"color", 0}, {"specular", 1}, {"shininess", 2},
                                  {"emissive", 3}, {"emissive_intensity", 4}};

// standard-material-data COLOR ROUGHNESS METALNESS [-e C] [-ei F]
constexpr Param kStandardParams[] = {argument("color"), argument("roughness", T::Float),
                                     argument("metalness", T::Float), kEmissive, kEmissiveIntensity};
constexpr Field kStandardFields[] = {{"color", 0}, {"roughness", 1}, {"metalness", 2},
                                     {"emissive", 3}, {"emissive_intensity", 4}};

// pbr-material-data COLOR ROUGHNESS METALNESS [-i B] [-s F] [-sr F] [-sc C] [-e C] [-ei F]
constexpr Param kPbrParams[] = {
    argument("color"), argument("roughness", T::Float), argument("metalness", T::Float),
    {K::Option, T::Bool, "--iridescent", "-i", "Iridescence.", false},
    {K::Option, T::Float, "--sheen", "-s", "Sheen weight.", false},
    {K::Option, T::Float, "--sheen-roughness", "-sr",
     "Accepted as the original did; the material class has no field for it.", false},
    {K::Option, T::String, "--sheen-color", "-sc", "Sheen colour.", false},
    kEmissive, kEmissiveIntensity};
constexpr Field kPbrFields[] = {{"color", 0},        {"roughness", 1},   {"metalness", 2},
                                {"iridescent", 3},   {"sheen_color", 6}, {"sheen_weight", 4},
                                {"emissive", 7},     {"emissive_intensity", 8}};

int pbr(Call& call) {
  if (call[5].given)
    call.err.line("hvym: --sheen-roughness has no field in the PBR material data; it is not printed");
  return emit_fields(call, kPbrFields);
}

// mat-prop-data NAME TYPE EMISSIVE REFLECTIVE IRRIDESCENT SHEEN MAT_REF WIDGET_TYPE SHOW
constexpr Param kMatPropParams[] = {
    argument("name"),          argument("type"),          argument("emissive", T::Bool),
    argument("reflective", T::Bool), argument("irridescent", T::Bool), argument("sheen", T::Bool),
    argument("mat_ref", T::Json, "a JSON object"), argument("widget_type"), argument("show", T::Bool)};

int mat_prop(Call& call) {
  PyJson doc;
  std::string error;
  if (!doc.parse(call[6].text, error))
    return usage_error(call, "Invalid value for 'MAT_REF': not JSON (" + error + ")");
  if (!doc.is_dict(doc.root()))
    return usage_error(call, "Invalid value for 'MAT_REF': expected a JSON object, got " +
                                 std::string(doc.type_name(doc.root())));
  JsonWriter w(call.out);
  w.begin_object();
  w.key("widget_type");
  w.string(call[7].text);
  w.key("show");
  w.boolean(call[8].b);
  w.key("name");
  w.string(call[0].text);
  w.key("type");
  w.string(call[1].text);
  const char* flags[] = {"emissive", "reflective", "irridescent", "sheen"};
  for (size_t i = 0; i < 4; ++i) {
    w.key(flags[i]);
    w.boolean(call[2 + i].b);
  }
  w.key("mat_ref");
  doc.write(w, doc.root());
  w.key("save_data");
  write_save_data(w, doc, doc.root(), call[1].text, call[3].b, call[4].b, call[5].b, call[2].b);
  w.end_object();
  call.out.put('\n');
  return kOk;
}


}  // namespace

extern const Command basic_material_data, lambert_material_data, phong_material_data,
    standard_material_data, pbr_material_data, mat_prop_data;

constinit const Command basic_material_data = data_command(
    "basic-material-data", "Print basic material data as JSON.", kBasicParams, emit<kBasicFields>);
constinit const Command lambert_material_data = data_command(
    "lambert-material-data", "Print Lambert material data as JSON.", kBasicParams,
    emit<kBasicFields>);
constinit const Command phong_material_data = data_command(
    "phong-material-data", "Print Phong material data as JSON.", kPhongParams, emit<kPhongFields>);
constinit const Command standard_material_data = data_command(
    "standard-material-data", "Print standard material data as JSON.", kStandardParams,
    emit<kStandardFields>);
constinit const Command pbr_material_data = data_command(
    "pbr-material-data", "Print PBR material data as JSON.", kPbrParams, pbr);
constinit const Command mat_prop_data = data_command(
    "mat-prop-data", "Print a material property with the fields it saves as JSON.",
    kMatPropParams, mat_prop);

}  // namespace hvym::commands
