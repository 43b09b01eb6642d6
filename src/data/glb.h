// The JSON of a glTF asset: the JSON chunk of a .glb (12-byte header, then
// chunks), or a .gltf file's text. Every length is checked against the file.
#pragma once
#include <string>

namespace hvym {

// The JSON text; false with a message (a missing, truncated or lying file).
bool read_gltf_json(const std::string& path, std::string& json, std::string& error);

}  // namespace hvym
