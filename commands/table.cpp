// The table of every command. Adding a command: its unit under commands/,
// its file in commands/meson.build, and one line here. Keep the lines sorted
// by command name ('-' in names is '_' here); a unit test checks the order.
#include <algorithm>
#include <cstring>

#include "unit/command.h"

#define HVYM_COMMANDS(X) \
  X(about) \
  X(anim_prop_data) \
  X(basic_material_data) \
  X(batch) \
  X(check) \
  X(collection_data) \
  X(config) \
  X(contract_data) \
  X(custom_choice_prompt) \
  X(custom_copy_line_prompt) \
  X(custom_copy_text_prompt) \
  X(custom_loading_msg) \
  X(custom_prompt) \
  X(didc_bind_js) \
  X(didc_bind_js_popup) \
  X(didc_bind_ts) \
  X(didc_bind_ts_popup) \
  X(didc_install) \
  X(docker_installed) \
  X(img_to_url) \
  X(installation_stats) \
  X(is_pintheon_tunnel_open) \
  X(lambert_material_data) \
  X(mat_prop_data) \
  X(menu_data) \
  X(mesh_data) \
  X(mesh_set_data) \
  X(migrate) \
  X(parse_blender_hvym_collection) \
  X(parse_blender_hvym_interactables) \
  X(pbr_material_data) \
  X(phong_material_data) \
  X(pinggy_install) \
  X(pinggy_set_tier) \
  X(pinggy_set_token) \
  X(pinggy_tier) \
  X(pinggy_token) \
  X(pintheon_dapp) \
  X(pintheon_image_exists) \
  X(pintheon_network) \
  X(pintheon_open) \
  X(pintheon_port) \
  X(pintheon_set_network) \
  X(pintheon_set_port) \
  X(pintheon_setup) \
  X(pintheon_start) \
  X(pintheon_stop) \
  X(pintheon_tunnel_close) \
  X(pintheon_tunnel_open) \
  X(pintheon_tunnel_status) \
  X(png_to_data_url) \
  X(print_hvym_data) \
  X(serve) \
  X(single_float_data) \
  X(single_int_data) \
  X(single_mesh_data) \
  X(single_node_data) \
  X(slider_data) \
  X(slider_float_data) \
  X(slider_int_data) \
  X(splash) \
  X(standard_material_data) \
  X(stellar_import_legacy) \
  X(stellar_list) \
  X(stellar_load_keys) \
  X(stellar_load_shared_pub) \
  X(stellar_new_account) \
  X(stellar_new_testnet_account) \
  X(stellar_remove_account) \
  X(stellar_select_keys) \
  X(stellar_select_shared_pub) \
  X(stellar_set_account) \
  X(stellar_update_db_pw) \
  X(svg_to_data_url) \
  X(up) \
  X(update_npm_modules) \
  X(update_proprium_js_file) \
  X(version)

namespace hvym {
namespace commands {
#define HVYM_DECLARE(id) extern const Command id;
HVYM_COMMANDS(HVYM_DECLARE)
#undef HVYM_DECLARE
}  // namespace commands

namespace {
#define HVYM_ENTRY(id) &commands::id,
constinit const Command* const kTable[] = {HVYM_COMMANDS(HVYM_ENTRY)};
#undef HVYM_ENTRY
}  // namespace

std::span<const Command* const> command_table() { return kTable; }

namespace {
// strcmp of a table name against name, without measuring the table name:
// this runs on every call, a dozen times.
int compare(const char* c, std::string_view name) {
  for (size_t i = 0; i < name.size(); ++i) {
    auto a = static_cast<unsigned char>(c[i]), b = static_cast<unsigned char>(name[i]);
    if (a == 0) return -1;  // the table name ended: it sorts first (name may hold a NUL)
    if (a != b) return a < b ? -1 : 1;
  }
  return c[name.size()] ? 1 : 0;
}
}  // namespace

const Command* find_command(std::string_view name) {
  auto it = std::lower_bound(std::begin(kTable), std::end(kTable), name,
                             [](const Command* c, std::string_view n) { return compare(c->name, n) < 0; });
  return it != std::end(kTable) && compare((*it)->name, name) == 0 ? *it : nullptr;
}

}  // namespace hvym
