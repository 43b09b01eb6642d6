// From argv to a command's exit status: the path every call takes.
#pragma once
#include <span>
#include <string_view>

#include "unit/command.h"

namespace hvym {

class Config;
class Input;

struct RunOptions {
  // The process exits right after: the kernel may release the store.
  bool one_shot = false;
  // Set: asking is refused, with this reason ("batch never asks").
  std::string_view no_input_why;
  // A read snapshot for a command whose only need is kReadsConfig (batch:
  // one consistent view for many queries); else it opens its own.
  Config* snapshot = nullptr;
  // The call's standard input; null: fd 0 for a one-shot call, else none.
  Input* input = nullptr;
};

// Runs one command in this process: parses its arguments, prepares what its
// needs ask for, calls it. Safe to call many times; from several threads
// at once (batch, serve) only for commands with kInProcess, whose units keep
// no shared state: the others run there as child processes.
int run_command(const Command& cmd, std::string_view prog, std::span<const char* const> args,
                Sink& out, Sink& err, const RunOptions& options = {});

// The process entry: picks the command from argv[0] or argv[1].
int dispatch(int argc, char** argv);

}  // namespace hvym
