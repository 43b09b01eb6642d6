// Every command, sorted by name: the table scripts/gen-table writes at build
// time from the units' declarations. main() hands it to the shell.
#pragma once
#include <span>

#include "unit/command.h"

namespace hvym::commands {

std::span<const Command* const> all();

}  // namespace hvym::commands
