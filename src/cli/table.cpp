#include "cli/table.h"

#include <algorithm>

namespace hvym {
namespace {

constinit std::span<const Command* const> g_table;

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

void use_commands(std::span<const Command* const> table) { g_table = table; }

std::span<const Command* const> command_table() { return g_table; }

const Command* find_command(std::string_view name) {
  auto it = std::lower_bound(g_table.begin(), g_table.end(), name,
                             [](const Command* c, std::string_view n) { return compare(c->name, n) < 0; });
  return it != g_table.end() && compare((*it)->name, name) == 0 ? *it : nullptr;
}

}  // namespace hvym
