// The commands the shell runs. The shell names none of them: the program's
// main() (commands/main.cpp) hands it the table commands/ declares, before
// anything else runs. Sorted by name.
#pragma once
#include <span>
#include <string_view>

#include "unit/command.h"

namespace hvym {

void use_commands(std::span<const Command* const> table);
std::span<const Command* const> command_table();
// The command called exactly `name` (a NUL in it is part of it), or null.
const Command* find_command(std::string_view name);

}  // namespace hvym
