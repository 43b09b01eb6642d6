// about: three lines describing the CLI, as the original prints them
// (its indentation and the trailing line of four spaces included).
#include "unit/command.h"

namespace hvym::commands {

static int run(Call& call) {
  call.out.write(
      "HeavyMeta CLI - Command Line Interface for HeavyMeta\n"
      "    Version: 1.0.0\n"
      "    Description: A powerful CLI for managing HeavyMeta assets and operations.\n"
      "    \n");
  return kOk;
}

extern constinit const Command about{
    .name = "about",
    .group = Group::Other,
    .summary = "Print a short description of the CLI.",
    .help = nullptr,
    .params = {},
    .needs = kInProcess,
    .run = run,
};

}  // namespace hvym::commands
