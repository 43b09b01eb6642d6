// hvym serve on Windows: not there yet. The POSIX server (serve.cpp) is a
// unix-socket server with signals and poll(); its Windows form (a named
// pipe or AF_UNIX listener with a console-control stop) is docs/platforms.md's
// open item. `hvym batch` works on Windows.
#include "args.h"
#include "command.h"

namespace hvym::commands {
namespace {

constexpr Param kServeParams[] = {
    {Kind::Option, Type::String, "--socket", nullptr, "The socket.", true},
    {Kind::Option, Type::Int, "--idle-exit", nullptr, "Exit after SECONDS without clients.", true},
};

int run_serve(Call& call) {
  return failure(call, "hvym serve is not available on Windows yet; use hvym batch (docs/platforms.md).");
}

}  // namespace

extern const Command serve;

constinit const Command serve{
    .name = "serve",
    .group = Group::Tools,
    .summary = "Answer batch requests on a unix socket (not on Windows yet).",
    .help = "Not available on Windows yet: use hvym batch.",
    .params = kServeParams,
    .needs = kNeedsNothing,
    .run = run_serve,
};

}  // namespace hvym::commands
