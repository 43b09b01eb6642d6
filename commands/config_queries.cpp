// The config queries the GUI asks many times a minute: one value each, read
// in the call's one read transaction and printed as the original prints it.
// A query of a new key is its key (HVYM_CONFIG_KEYS, store/config.h) and one
// declaration here.
#include "store/config.h"
#include "unit/command.h"

namespace hvym::commands {
namespace {

enum class Shown { Value, First };  // the whole value, or a list's first element

template <Key K, Shown S>
int print(Call& c) {
  std::string_view v = c.config().get(K);
  c.out.line(S == Shown::First ? first_of(v) : v);
  return kOk;
}

template <Key K, Shown S = Shown::Value>
consteval Command query(const char* name, const char* summary) {
  return {.name = name, .group = Group::Config, .summary = summary, .help = nullptr, .params = {},
          .needs = kReadsConfig | kInProcess, .run = print<K, S>};
}

}  // namespace

extern constinit const Command pintheon_port =
    query<Key::PintheonPort>("pintheon-port", "Print the Pintheon gateway port (default 9998).");
extern constinit const Command pintheon_dapp = query<Key::PintheonDapp>(
    "pintheon-dapp", "Print the Pintheon image name for the current network and this machine.");
extern constinit const Command pintheon_network = query<Key::PintheonNetworks, Shown::First>(
    "pintheon-network", "Print the Stellar network Pintheon uses (default testnet).");
extern constinit const Command pinggy_tier =
    query<Key::PinggyTiers, Shown::First>("pinggy-tier", "Print the Pinggy tier in use (default pro).");
extern constinit const Command pinggy_token =
    query<Key::PinggyToken>("pinggy-token", "Print the Pinggy token (an empty line when none is set).");

}  // namespace hvym::commands
