// Command-line parameters the way the original's Click parses and converts
// them, so callers get the same answers and the same exit statuses; one
// deliberate difference: an argument that starts with '-' but is a number,
// and is no option of the command, is taken as a number.
#pragma once
#include <span>
#include <string_view>

#include "unit/command.h"

namespace hvym {

enum class Parsed { Ok, Help, Usage };

// Fills call.values from the arguments after the command name. On Usage a
// Click-style message is already on call.err.
Parsed parse_args(Call& call, std::span<const char* const> args);

// `hvym NAME --help`.
void write_command_help(const Command& cmd, std::string_view prog, Sink& out);

// Writes the usage line, the hint and "Error: message" to call.err; returns 2.
int usage_error(Call& call, std::string_view message);

// Writes "Error: message" to call.err; returns 1.
int failure(Call& call, std::string_view message);

// Python's repr() of a str, as Click quotes bad values in its messages.
std::string py_repr(std::string_view s);

}  // namespace hvym
