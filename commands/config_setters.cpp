// The setters the original ran as popups. Given a value they are
// non-interactive; a bad value is a usage error and changes nothing (the
// write transaction is only committed on success). Without one they ask
// through the prompt layer; a confirmation goes to standard error.
//
// Read -> ask -> write (kReadsConfig | kMayPrompt | kWritesConfig): what a
// question shows comes from read_config(), a read closed before anyone is
// asked (a person may take minutes, and no transaction may stay open
// meanwhile); a value given reads nothing. The answer is written by
// write_config() in a write transaction of its own, checked again there.

#include <algorithm>
#include <cerrno>

#include "unit/args.h"
#include "unit/command.h"
#include "unit/config_access.h"
#include "store/config.h"
#include "unit/input.h"
#include "platform/process.h"
#include "prompt/prompt.h"
#include "json/pyconv.h"

namespace hvym::commands {
namespace {

int set_or_fail(Call& call, Key k, std::string_view value) {
  std::string error;
  return call.config().set(k, value, error) ? kOk : failure(call, error);
}

// Puts `choice` in front of the list `k`; it must be listed.
int put_first(Call& call, Key k, const char* name, std::string_view choice) {
  std::string_view list = call.config().get(k);
  auto items = list_elements(list);
  if (std::find(items.begin(), items.end(), choice) == items.end()) {
    std::string listed;
    for (std::string_view e : items) listed += (listed.empty() ? "'" : ", '") + std::string(e) + "'";
    return usage_error(call, std::string("Invalid value for '") + name + "': " + py_repr(choice) +
                                 " is not one of " + listed + ".");
  }
  return set_or_fail(call, k, list_with_first(list, choice));
}

// The choice from `arg` (the command's argument), or asked from the current
// list; `chosen` gets it.
struct Asked {
  const char* message;  // "Select Pinggy Tier:"
  const char* what;     // "the Pinggy tier"
  const char* done;     // "Pinggy tier set to: "
};

// `also` writes what follows from the choice, in the same transaction.
using Also = int (*)(Call&, const std::string& chosen);

int choose(Call& call, const Value& arg, Key k, const char* name, const Asked& q, std::string& chosen,
           Also also = nullptr) {
  auto write = [&] {
    int status = put_first(call, k, name, chosen);
    return status == kOk && also ? also(call, chosen) : status;
  };
  if (arg.given) {
    chosen = arg.text;
    return write_config(call, write);
  }
  if (!read_config(call)) return kFailed;
  std::string list(call.config().get(k));
  auto items = list_elements(list);
  Answer a = ask(call, {.kind = Ask::Choice,
                        .what = q.what,
                        .message = q.message,
                        .initial = first_of(list),
                        .choices = items});
  if (a.outcome != Outcome::Answered) return unanswered(call, a);
  chosen = a.text;
  int status = write_config(call, write);
  if (status == kOk) call.err.line(q.done + chosen);
  return status;
}

// --- pinggy-set-token -------------------------------------------------------
constexpr Param kTokenParams[] = {
    {Kind::Argument, Type::String, "token", nullptr, "the token (or use --stdin)", true},
    {Kind::Flag, Type::Bool, "--stdin", nullptr,
     "Read the token from standard input (keeps it out of the process list).", false},
};

int set_token(Call& call) {
  const Value& arg = call[param(kTokenParams, "token")];
  bool from_stdin = call[param(kTokenParams, "--stdin")].b;
  if (arg.given && from_stdin) return usage_error(call, "Give the token as an argument or with --stdin, not both.");
  std::string token;
  bool asked = !arg.given && !from_stdin;
  guard_secrets();
  if (asked) {
    Answer a = ask(call, {.kind = Ask::Secret, .what = "the Pinggy token", .message = "Enter Pinggy Token:"});
    if (a.outcome != Outcome::Answered) return unanswered(call, a);
    token = std::move(a.text);
  } else if (from_stdin) {
    std::string_view text;
    std::string error;
    if (!call.input->all(65536, text, error)) return failure(call, error + "; the token is unchanged.");
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    // Nothing on standard input (a closed pipe, /dev/null, a blank line) is
    // a mistake, not a token.
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
      return failure(call, "standard input holds no token; the token is unchanged.");
    token.assign(text);
  } else {
    token.assign(arg.text);
  }
  std::string why = check_value(Key::PinggyToken, token);
  if (!why.empty()) return usage_error(call, "Invalid token: " + why + ".");
  int status = write_config(call, [&] { return set_or_fail(call, Key::PinggyToken, token); });
  if (status == kOk && asked) call.err.line("Pinggy token set.");
  if (status == kOk) call.out.line("");  // the original echoed None: an empty line
  return status;
}

// --- pinggy-set-tier ------------------------------------------------------
constexpr Param kTierParams[] = {
    {Kind::Argument, Type::String, "tier", nullptr, "one of the tiers (pro, free)", true,
     "command hvym config get pinggy_tiers 2>/dev/null | tr , '\\n'"},
};

int set_tier(Call& call) {
  std::string tier;
  int status = choose(call, call[param(kTierParams, "tier")], Key::PinggyTiers, "TIER",
                      {"Select Pinggy Tier:", "the Pinggy tier", "Pinggy tier set to: "}, tier);
  if (status == kOk) call.out.line("");  // the original echoed None: an empty line
  return status;
}

// --- pintheon-set-network -------------------------------------------------
constexpr Param kNetworkParams[] = {
    {Kind::Argument, Type::String, "network", nullptr, "one of the networks (testnet, mainnet)", true,
     "command hvym config get pintheon_networks 2>/dev/null | tr , '\\n'"},
};

int set_network(Call& call) {
  std::string network;
  return choose(call, call[param(kNetworkParams, "network")], Key::PintheonNetworks, "NETWORK",
                {"Select Pintheon Network:", "the Pintheon network", "Pintheon network set to: "}, network,
                [](Call& c, const std::string& chosen) { return set_or_fail(c, Key::PintheonDapp, dapp_name(chosen)); });
}

// --- pintheon-set-port ----------------------------------------------------
constexpr Param kPortParams[] = {
    {Kind::Argument, Type::Int, "port", nullptr, "1..65535", true},
};

bool port_in_range(const std::string& digits) {
  return digits.size() <= 5 && digits[0] != '-' && digits != "0" && std::stol(digits) <= 65535;
}

// Asks until the answer is a port (a few tries: a dialog program that
// keeps answering badly must not loop forever).
int ask_port(Call& call) {
  if (!read_config(call)) return kFailed;
  std::string current(call.config().get(Key::PintheonPort));
  std::string problem;  // what was wrong with the last answer
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::string message = problem.empty() ? "Enter Pintheon Port:" : problem + " Enter Pintheon Port:";
    Answer a = ask(call, {.kind = Ask::Line, .what = "the Pintheon port", .message = message, .initial = current});
    if (a.outcome != Outcome::Answered) return unanswered(call, a);
    std::string digits;
    if (py::parse_int(a.text, digits) && port_in_range(digits)) {
      int status = write_config(call, [&] { return set_or_fail(call, Key::PintheonPort, digits); });
      if (status == kOk) call.err.line("Pintheon port set to: " + digits);
      return status;
    }
    problem = "Invalid port " + py_repr(a.text) + ": a whole number from 1 to 65535.";
  }
  return failure(call, "no valid port after 5 tries; nothing changed.");
}

int set_port(Call& call) {
  const Value& port = call[param(kPortParams, "port")];
  if (!port.given) return ask_port(call);
  if (!port.i_fits || port.i < 1 || port.i > 65535)
    return usage_error(call, "Invalid value for 'PORT': " + port.digits +
                                 " is not in the range 1<=x<=65535.");
  return write_config(call, [&] { return set_or_fail(call, Key::PintheonPort, port.digits); });
}

}  // namespace

extern constinit const Command pinggy_set_token{
    .name = "pinggy-set-token",
    .group = Group::Config,
    .summary = "Set the Pinggy token (from the argument or standard input).",
    .help = "Set the Pinggy token. With --stdin the token is read from standard input "
            "(trailing line ends dropped), which keeps it out of the process list.",
    .params = kTokenParams,
    .needs = kMayPrompt | kWritesConfig,  // shows nothing stored: no read
    .run = set_token,
    .on_cancel = "\n",  // the original's answer to a closed popup
};

extern constinit const Command pinggy_set_tier{
    .name = "pinggy-set-tier",
    .group = Group::Config,
    .summary = "Choose the Pinggy tier (moves it to the front of the tier list).",
    .help = nullptr,
    .params = kTierParams,
    .needs = kReadsConfig | kMayPrompt | kWritesConfig,  // read, ask, write (see the top)
    .run = set_tier,
    .on_cancel = "\n",  // the original's answer to a closed popup
};

extern constinit const Command pintheon_set_network{
    .name = "pintheon-set-network",
    .group = Group::Config,
    .summary = "Choose the Stellar network; the Pintheon image name follows it.",
    .help = "Choose the Stellar network for Pintheon: it moves to the front of the network "
            "list and the image name (pintheon-dapp) is recomputed for it.",
    .params = kNetworkParams,
    .needs = kReadsConfig | kMayPrompt | kWritesConfig,  // read, ask, write (see the top)
    .run = set_network,
    .on_cancel = "",  // the original's answer to a closed popup
};

extern constinit const Command pintheon_set_port{
    .name = "pintheon-set-port",
    .group = Group::Config,
    .summary = "Set the Pintheon gateway port (1..65535).",
    .help = nullptr,
    .params = kPortParams,
    .needs = kReadsConfig | kMayPrompt | kWritesConfig,  // read, ask, write (see the top)
    .run = set_port,
    .on_cancel = "",  // the original's answer to a closed popup
};

}  // namespace hvym::commands
