// pinggy-install: the Pinggy client for this OS and architecture.
#include "unit/args.h"
#include "unit/command.h"
#include "store/config.h"
#include "net/pinggy.h"

namespace hvym::commands {
namespace {

int run(Call& call) {
  std::string error;
  std::string path = install_pinggy(call.config(), call.err, error);
  if (path.empty()) return failure(call, error);
  call.out.line("installed pinggy to " + path);
  return kOk;
}

}  // namespace

extern constinit const Command pinggy_install{
    .name = "pinggy-install",
    .group = Group::Pintheon,
    .summary = "Download the Pinggy client into ~/.local/share/pinggy/.",
    .help = "Download pinggy for this OS and architecture from pinggy_base_url (/OS/ARCH/pinggy) "
            "with curl, into ~/.local/share/pinggy/pinggy (a temporary file renamed into "
            "place, mode 0755). Progress on stderr.",
    .params = {},
    .needs = kReadsConfig | kExclusive,
    .run = run,
};

}  // namespace hvym::commands
