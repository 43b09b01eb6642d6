// version: the original CLI's version line, which callers compare against.
#include "unit/command.h"

namespace hvym::commands {

static int run(Call& call) {
  call.out.line("HeavyMeta CLI v1.0.0");
  return kOk;
}

extern constinit const Command version{
    .name = "version",
    .group = Group::Other,
    .summary = "Print the Heavymeta CLI version line.",
    .help = "Print the Heavymeta CLI version line that callers of the original expect "
            "(hvym --version prints hvym's own version).",
    .params = {},
    .needs = kInProcess,
    .run = run,
};

}  // namespace hvym::commands
