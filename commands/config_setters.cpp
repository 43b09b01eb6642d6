// The setters the original ran as popups. Given a value they are
// non-interactive; a bad value is a usage error and changes nothing (the
// write transaction is only committed on success).
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "args.h"
#include "command.h"
#include "config.h"

namespace hvym::commands {
namespace {

// No value and no prompt layer yet: say how to give it.
int missing(Call& call, const char* name, const char* example) {
  return usage_error(call, std::string("Missing argument '") + name +
                               "'. Give it as an argument, e.g. " + example +
                               " (asking interactively is not available yet).");
}

int set_or_fail(Call& call, Key k, std::string_view value) {
  std::string error;
  return call.config->set(k, value, error) ? kOk : failure(call, error);
}

// Puts the choice in argument 0 in front of the list `k`; it must be listed.
int choose(Call& call, Key k, const char* name, const char* example) {
  if (!call[0].given) return missing(call, name, example);
  std::string_view list = call.config->get(k);
  auto items = list_elements(list);
  if (std::find(items.begin(), items.end(), call[0].text) == items.end()) {
    std::string listed;
    for (std::string_view e : items) listed += (listed.empty() ? "'" : ", '") + std::string(e) + "'";
    return usage_error(call, std::string("Invalid value for '") + name + "': " +
                                 py_repr(call[0].text) + " is not one of " + listed + ".");
  }
  return set_or_fail(call, k, list_with_first(list, call[0].text));
}

// --- pinggy-set-token -------------------------------------------------------
constexpr Param kTokenParams[] = {
    {Kind::Argument, Type::String, "token", nullptr, "the token (or use --stdin)", true},
    {Kind::Flag, Type::Bool, "--stdin", nullptr,
     "Read the token from standard input (keeps it out of the process list).", false},
};

int set_token(Call& call) {
  const Value& arg = call[0];
  bool from_stdin = call[1].b;
  if (arg.given && from_stdin) return usage_error(call, "Give the token as an argument or with --stdin, not both.");
  if (!arg.given && !from_stdin) return missing(call, "TOKEN", "hvym pinggy-set-token --stdin < token.txt");
  std::string token;
  if (from_stdin) {
    char buf[4096];
    while (true) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return failure(call, "cannot read the token from standard input");
      if (n == 0) break;
      token.append(buf, static_cast<size_t>(n));
      if (token.size() > 65536) return usage_error(call, "the token on standard input is too long");
    }
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  } else {
    token.assign(arg.text);
  }
  std::string why = check_value(Key::PinggyToken, token);
  if (!why.empty()) return usage_error(call, "Invalid token: " + why + ".");
  int status = set_or_fail(call, Key::PinggyToken, token);
  if (status == kOk) call.out.line("");  // the original echoed None: an empty line
  return status;
}

// --- pinggy-set-tier ------------------------------------------------------
constexpr Param kTierParams[] = {
    {Kind::Argument, Type::String, "tier", nullptr, "one of the tiers (pro, free)", true},
};

int set_tier(Call& call) {
  int status = choose(call, Key::PinggyTiers, "TIER", "hvym pinggy-set-tier free");
  if (status == kOk) call.out.line("");  // the original echoed None: an empty line
  return status;
}

// --- pintheon-set-network -------------------------------------------------
constexpr Param kNetworkParams[] = {
    {Kind::Argument, Type::String, "network", nullptr, "one of the networks (testnet, mainnet)", true},
};

int set_network(Call& call) {
  int status = choose(call, Key::PintheonNetworks, "NETWORK", "hvym pintheon-set-network mainnet");
  if (status == kOk) status = set_or_fail(call, Key::PintheonDapp, dapp_name(call[0].text));
  return status;
}

// --- pintheon-set-port ----------------------------------------------------
constexpr Param kPortParams[] = {
    {Kind::Argument, Type::Int, "port", nullptr, "1..65535", true},
};

int set_port(Call& call) {
  if (!call[0].given) return missing(call, "PORT", "hvym pintheon-set-port 9998");
  if (!call[0].i_fits || call[0].i < 1 || call[0].i > 65535)
    return usage_error(call, "Invalid value for 'PORT': " + call[0].digits +
                                 " is not in the range 1<=x<=65535.");
  return set_or_fail(call, Key::PintheonPort, call[0].digits);
}

}  // namespace

extern const Command pinggy_set_token, pinggy_set_tier, pintheon_set_network, pintheon_set_port;

constinit const Command pinggy_set_token{
    .name = "pinggy-set-token",
    .group = Group::Config,
    .summary = "Set the Pinggy token (from the argument or standard input).",
    .help = "Set the Pinggy token. With --stdin the token is read from standard input "
            "(trailing line ends dropped), which keeps it out of the process list.",
    .params = kTokenParams,
    .needs = kWritesConfig | kMayPrompt,
    .run = set_token,
};

constinit const Command pinggy_set_tier{
    .name = "pinggy-set-tier",
    .group = Group::Config,
    .summary = "Choose the Pinggy tier (moves it to the front of the tier list).",
    .help = nullptr,
    .params = kTierParams,
    .needs = kWritesConfig | kMayPrompt,
    .run = set_tier,
};

constinit const Command pintheon_set_network{
    .name = "pintheon-set-network",
    .group = Group::Config,
    .summary = "Choose the Stellar network; the Pintheon image name follows it.",
    .help = "Choose the Stellar network for Pintheon: it moves to the front of the network "
            "list and the image name (pintheon-dapp) is recomputed for it.",
    .params = kNetworkParams,
    .needs = kWritesConfig | kMayPrompt,
    .run = set_network,
};

constinit const Command pintheon_set_port{
    .name = "pintheon-set-port",
    .group = Group::Config,
    .summary = "Set the Pintheon gateway port (1..65535).",
    .help = nullptr,
    .params = kPortParams,
    .needs = kWritesConfig | kMayPrompt,
    .run = set_port,
};

}  // namespace hvym::commands
