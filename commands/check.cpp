// check: tells a caller that hvym is on the PATH and answering.
#include "unit/command.h"

namespace hvym::commands {

static int run(Call& call) {
  call.out.line("ONE-TWO");
  return kOk;
}

extern constinit const Command check{
    .name = "check",
    .group = Group::Other,
    .summary = "Print ONE-TWO: shows that hvym is on the PATH and answering.",
    .help = nullptr,
    .params = {},
    .needs = kInProcess,
    .run = run,
};

}  // namespace hvym::commands
