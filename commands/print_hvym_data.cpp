// print-hvym-data: the Heavymeta NFT data a glTF asset carries in its
// top-level extensions (HVYM_nft_data), with indent 2.
#include "unit/args.h"
#include "unit/command.h"
#include "data/glb.h"
#include "json/json_writer.h"
#include "json/pyjson.h"

namespace hvym::commands {
namespace {

constexpr Param kParams[] = {{Kind::Argument, Type::String, "path", nullptr, "a .glb or .gltf file", false}};

int run(Call& call) {
  std::string path(call[param(kParams, "path")].text), json, error;
  if (!read_gltf_json(path, json, error)) return failure(call, error);
  PyJson doc;
  if (!doc.parse(json, error)) return failure(call, path + ": its JSON is not valid (" + error + ")");
  JsonValue root = doc.root();
  std::optional<JsonValue> ext, data;
  if (doc.is_dict(root)) ext = doc.get(root, "extensions");
  if (ext && doc.is_dict(*ext)) data = doc.get(*ext, "HVYM_nft_data");
  if (!data) {
    call.out.line("No HVYM NFT data found in the GLB file.");
    return kOk;
  }
  JsonWriter w(call.out, 2);
  doc.write(w, *data);
  call.out.put('\n');
  return kOk;
}

}  // namespace

extern constinit const Command print_hvym_data{
    .name = "print-hvym-data",
    .group = Group::Assets,
    .summary = "Print the Heavymeta NFT data of a .glb or .gltf file.",
    .help = nullptr,
    .params = kParams,
    .needs = kNeedsNothing,
    .run = run,
};

}  // namespace hvym::commands
