// What a command unit declares about itself, in one place, and what it gets
// when it runs. Every Command is constant-initialised (constinit): the table
// of all commands costs nothing at startup.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/sink.h"

namespace hvym {

// Sections of `hvym --help`, in this order.
enum class Group : uint8_t { Config, Probes, Pintheon, Stellar, Data, Assets, Prompts, Tools, Other };
inline constexpr size_t kGroupCount = 9;

// What the dispatcher prepares before calling a command (git's RUN_SETUP
// idea): nothing is opened for a command that does not ask for it.
enum Needs : uint32_t {
  kNeedsNothing = 0,
  kReadsConfig = 1u << 0,   // call.config(): one read transaction on the store (with kMayPrompt: read_config())
  kWritesConfig = 1u << 1,  // may write config values, through write_config() (unit/config_access.h)
  kMayPrompt = 1u << 2,     // may ask through the prompt layer
  kWritesCache = 1u << 3,   // may remember answers about the machine: cached()/remember()
  kExclusive = 1u << 5,     // one at a time per data folder (DATA/hvym.lock held while it runs)
  kProbe = 1u << 6,         // a question about the machine, bounded in time: batch runs these concurrently
  // Opens the store itself and may write it: the Stellar commands that
  // change accounts or the vault (their accounts layer,
  // src/stellar/accounts.h) and migrate.
  kOwnWrites = 1u << 7,
  // Safe to run inside batch/serve's own process (BusyBox's NOFORK): reads
  // the store (and, with kWritesCache, remembers in its cache), every wait
  // bounded, no fd 0, no process-wide state, every child reaped. Every
  // other command runs there as a child process.
  kInProcess = 1u << 8,
  // Opens the store itself, only to read it: the Stellar commands that
  // read the vault (stellar-load-keys, -select-keys, -select-shared-pub).
  kOwnReads = 1u << 9,
  // Serves requests itself (batch, serve): never a request inside one.
  kServer = 1u << 10,
};
// What runs alone, in order, inside a batch: what may change the config a
// later request reads (the cache is not the config: a probe that remembers
// runs beside others), and what may ask (one question at a time).
inline constexpr uint32_t kMayWrite = kExclusive | kMayPrompt | kWritesConfig | kOwnWrites;

// Rest: every remaining positional argument (call.rest), the last parameter.
enum class Kind : uint8_t { Argument, Option, Flag, Rest };
// Click's types, plus JSON text for the original's broken list/dict types.
enum class Type : uint8_t { String, Bool, Int, Float, Json };

struct Param {
  Kind kind;
  Type type;
  const char* name;   // argument: its name ("max"); option/flag: "--long"
  const char* alias;  // option/flag: other spelling ("-e", "-ei") or nullptr
  const char* help;
  bool optional;      // an argument that may be left out
  // An argument's values for the shells' completion: a shell pipeline that
  // prints one a line (the same text runs in bash, zsh and fish); null: a
  // file name.
  const char* values = nullptr;
};

// A positional argument, as most commands declare them.
constexpr Param argument(const char* name, Type type = Type::String, const char* help = nullptr) {
  return {Kind::Argument, type, name, nullptr, help, false};
}

// The index in params of the parameter called exactly `name` (an argument's
// "max", an option's or flag's "--iridescent"), for call[...]:
// call[param(kParams, "--json")]. A name that is not there does not compile:
// reaching the throw is not a constant expression.
consteval size_t param(std::span<const Param> params, std::string_view name) {
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].name == name) return i;
  throw "no parameter of that name";
}

struct Call;
class Config;
class Input;
class StoreHandle;
using RunFn = int (*)(Call&);

struct Command {
  const char* name;
  Group group;
  const char* summary;  // one line, for `hvym --help`
  const char* help;     // the paragraph of `hvym NAME --help`; summary if null
  std::span<const Param> params;
  uint32_t needs;
  RunFn run;
  // What the original printed when its popup was closed, exit 0 (its
  // callers read that as "no answer"); null: a closed dialog is an error.
  // A question on the terminal that is cancelled is an error either way.
  const char* on_cancel = nullptr;
};

inline constexpr size_t kMaxParams = 16;

// One converted parameter. Arguments left out and options not given have
// given == false.
struct Value {
  bool given = false;
  std::string_view text;  // as written
  bool b = false;         // Bool, Flag
  double f = 0;           // Float
  int64_t i = 0;          // Int, when it fits (i_fits)
  bool i_fits = false;
  std::string digits;     // Int, canonical decimal of any size
};

// Everything a running command may touch. It writes only to out and err and
// returns its exit status; it never exits the process.
struct Call {
  const Command& cmd;
  std::string_view prog;  // how it was invoked: "hvym check" or "check"
  Sink& out;
  Sink& err;
  std::array<Value, kMaxParams> values;
  // The store as the unit's flags asked for it (unit/config_access.h):
  // null when they asked for nothing of the dispatcher.
  StoreHandle* store = nullptr;
  // Why asking is forbidden ("--no-input", "batch never asks"), or empty.
  std::string_view no_input_why;
  std::vector<std::string_view> rest;  // a Kind::Rest parameter's arguments
  // Standard input (src/unit/input.h): the only way a unit reads it.
  Input* input = nullptr;

  const Value& operator[](size_t i) const { return values[i]; }
  // The config values the call read (kReadsConfig; with kMayPrompt once
  // read_config() said yes). Inside write_config(): the values being written.
  Config& config() const;
};

// Exit statuses used everywhere.
inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;
inline constexpr int kUsage = 2;
// A dialog closed where the original answered that with exit 0: the answer
// is printed already, nothing changed. Not kOk, so every caller stops as
// for a failure; run_command turns it into exit status 0.
inline constexpr int kClosed = 0x100;

}  // namespace hvym
