// The config queries the GUI asks many times a minute: one value each, read
// in the call's one read transaction and printed as the original prints it.
#include "unit/command.h"
#include "store/config.h"

namespace hvym::commands {
namespace {

int print(Call& call, std::string_view value) {
  call.out.line(value);
  return kOk;
}

int port(Call& c) { return print(c, c.config->get(Key::PintheonPort)); }
int dapp(Call& c) { return print(c, c.config->get(Key::PintheonDapp)); }
int network(Call& c) { return print(c, first_of(c.config->get(Key::PintheonNetworks))); }
int tier(Call& c) { return print(c, first_of(c.config->get(Key::PinggyTiers))); }
int token(Call& c) { return print(c, c.config->get(Key::PinggyToken)); }

}  // namespace

extern const Command pintheon_port, pintheon_dapp, pintheon_network, pinggy_tier, pinggy_token;

constinit const Command pintheon_port{
    .name = "pintheon-port",
    .group = Group::Config,
    .summary = "Print the Pintheon gateway port (default 9998).",
    .help = nullptr,
    .params = {},
    .needs = kReadsConfig | kInProcess,
    .run = port,
};

constinit const Command pintheon_dapp{
    .name = "pintheon-dapp",
    .group = Group::Config,
    .summary = "Print the Pintheon image name for the current network and this machine.",
    .help = nullptr,
    .params = {},
    .needs = kReadsConfig | kInProcess,
    .run = dapp,
};

constinit const Command pintheon_network{
    .name = "pintheon-network",
    .group = Group::Config,
    .summary = "Print the Stellar network Pintheon uses (default testnet).",
    .help = nullptr,
    .params = {},
    .needs = kReadsConfig | kInProcess,
    .run = network,
};

constinit const Command pinggy_tier{
    .name = "pinggy-tier",
    .group = Group::Config,
    .summary = "Print the Pinggy tier in use (default pro).",
    .help = nullptr,
    .params = {},
    .needs = kReadsConfig | kInProcess,
    .run = tier,
};

constinit const Command pinggy_token{
    .name = "pinggy-token",
    .group = Group::Config,
    .summary = "Print the Pinggy token (an empty line when none is set).",
    .help = nullptr,
    .params = {},
    .needs = kReadsConfig | kInProcess,
    .run = token,
};

}  // namespace hvym::commands
