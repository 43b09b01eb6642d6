#include "data/blender.h"

namespace hvym {

std::vector<const char*> exposed_material_fields(std::string_view type, bool reflective,
                                                 bool iridescent, bool sheen, bool emissive) {
  std::vector<const char*> f;
  if (type == "BASIC") {
    f = {"color"};
  } else if (type == "PHONG") {
    f = {"color", "specular", "shininess"};
  } else if (type == "STANDARD") {
    f = {"color", "roughness", "metalness"};
  } else if (type == "PBR") {
    f = {"color", "roughness", "metalness"};
    if (reflective) f.insert(f.end(), {"ior", "reflectivity"});
    if (iridescent) f.insert(f.end(), {"iridescence", "iridescenceIOR"});
    if (sheen) f.insert(f.end(), {"sheen", "sheenRoughness", "sheenColor"});
    f.insert(f.end(), {"clearcoat", "clearcoatRoughness", "specularColor"});
  }
  if (emissive) f.insert(f.end(), {"emissive", "emissiveIntensity"});
  return f;
}

void write_save_data(JsonWriter& w, const PyJson& doc, JsonValue mat_ref, std::string_view type,
                     bool reflective, bool iridescent, bool sheen, bool emissive) {
  w.begin_object();
  for (const char* field : exposed_material_fields(type, reflective, iridescent, sheen, emissive)) {
    w.key(field);
    if (auto v = doc.get(mat_ref, field)) doc.write(w, *v);
    else w.string("");
  }
  w.end_object();
}

}  // namespace hvym
