// From argv to a command's exit status: the path every call takes.
#pragma once
#include <span>
#include <string_view>

#include "command.h"

namespace hvym {

// Runs one command in this process: parses its arguments, prepares what its
// needs ask for, calls it. Safe to call many times (batch, serve); one_shot
// (the process exits right after) lets the kernel release the store.
int run_command(const Command& cmd, std::string_view prog, std::span<const char* const> args,
                Sink& out, Sink& err, bool one_shot = false);

// The process entry: picks the command from argv[0] or argv[1].
int dispatch(int argc, char** argv);

}  // namespace hvym
