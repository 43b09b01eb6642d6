// Rules of the Heavymeta Blender data shared by several commands.
#pragma once
#include <string>
#include <vector>

#include "json/json_writer.h"
#include "json/pyjson.h"

namespace hvym {

// The material fields a material of `type` exposes for saving, as the
// original listed them (BASIC, PHONG, STANDARD, PBR; emissive adds two).
std::vector<const char*> exposed_material_fields(std::string_view type, bool reflective,
                                                 bool iridescent, bool sheen, bool emissive);

// {field: mat_ref[field] or "" for each exposed field}
void write_save_data(JsonWriter& w, const PyJson& doc, JsonValue mat_ref, std::string_view type,
                     bool reflective, bool iridescent, bool sheen, bool emissive);

}  // namespace hvym
