// What `hvym` answers itself when no command is named: --help, --list,
// --version, --install DIR, --completion SHELL, and unknown commands.
#pragma once
#include <span>
#include <string_view>

#include "io/sink.h"

namespace hvym {

// args: everything after the program name; empty or starting with '-'.
int run_toplevel(std::string_view prog, std::span<const char* const> args, Sink& out, Sink& err);

// `hvym help [CMD]`, `hvym --help CMD`: CMD's help (or hvym's), exit 0.
int run_help(std::string_view prog, std::span<const char* const> names, Sink& out, Sink& err);

// `hvym --`: exit 2, "Missing command." as Click said.
int missing_command(std::string_view prog, Sink& err);

// Exit 2, naming the closest command when one is close.
int unknown_command(std::string_view prog, std::string_view name, Sink& err);

// Levenshtein distance, for suggestions.
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace hvym
