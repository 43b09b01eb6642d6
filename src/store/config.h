// hvym's configuration: the keys the Python CLI kept in its APP_DATA and
// TUNNEL_STATUS documents, their defaults, validation, and one session per
// call over the store (one transaction, values read once).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <deque>
#include <vector>

#include "io/sink.h"
#include "platform/fs.h"
#include "store/store.h"

namespace hvym {
struct ImportPlan;
}

namespace hvym {

// Every key, in one list: its name in the store and for `config`, how its
// value is kept, its default encoding (the dapp name's is derived instead:
// nullptr) and its help. Adding a key is one line here; enum Key and the
// specs follow from it.
#define HVYM_CONFIG_KEYS(X) \
  X(NpmLinksSource, "npm_links_source", Text, "", \
    "The npm modules folder up links (default: share/hvym/npm_links beside the hvym executable)") \
  X(PinggyBaseUrl, "pinggy_base_url", Url, "https://s3.ap-south-1.amazonaws.com/public.pinggy.binaries/cli/v0.2.2", \
    "Where pinggy-install downloads from (then /OS/ARCH/pinggy)") \
  X(PinggyDebuggerPort, "pinggy_debugger_port", Port, "4300", \
    "Port of the Pinggy web debugger on this machine (is-pintheon-tunnel-open)") \
  X(PinggyTiers, "pinggy_tiers", List, "pro\nfree", \
    "Pinggy tiers, the one in use first") \
  X(PinggyToken, "pinggy_token", Text, "", \
    "Pinggy access token") \
  X(PintheonDapp, "pintheon_dapp", Text, nullptr, \
    "Pintheon image name (default: from the first network and this machine)") \
  X(PintheonNetworks, "pintheon_networks", List, "testnet\nmainnet", \
    "Stellar networks, the one in use first") \
  X(PintheonPort, "pintheon_port", Port, "9998", \
    "Pintheon gateway port (1..65535)") \
  X(PintheonRegistry, "pintheon_registry", Text, "metavinci", \
    "Registry and namespace of the Pintheon image (default metavinci on Docker Hub)") \
  X(PintheonSifPath, "pintheon_sif_path", Text, "", \
    "Pintheon SIF file path") \
  X(StellarFriendbotUrl, "stellar_friendbot_url", Url, "https://friendbot.stellar.org", \
    "Stellar testnet Friendbot (stellar-new-testnet-account funds through URL?addr=G...)") \
  X(TunnelPid, "tunnel_pid", Count, "", \
    "Process id of the running Pinggy tunnel") \
  X(TunnelStatus, "tunnel_status", Status, "stopped", \
    "Pinggy tunnel state: stopped, starting, running or error") \
  X(TunnelTimestamp, "tunnel_timestamp", Number, "", \
    "When the tunnel state last changed (Unix time)")

#define HVYM_KEY_ENUM(key, ...) key,
enum class Key : uint8_t { HVYM_CONFIG_KEYS(HVYM_KEY_ENUM) };
#undef HVYM_KEY_ENUM
#define HVYM_KEY_ONE(...) +1
inline constexpr size_t kKeyCount = 0 HVYM_CONFIG_KEYS(HVYM_KEY_ONE);
#undef HVYM_KEY_ONE
inline constexpr int kSchemaVersion = 1;

// How a value is kept in the store (and printed by `config get`):
// Text: the UTF-8 text; List: elements joined by '\n'; Port: decimal 1..65535;
// Number: Python's repr of a float; Status: one of a few words; Count: a
// whole number >= 0, or "" for none; Url: an http:// or https:// URL.
enum class ValueKind : uint8_t { Text, List, Port, Number, Status, Count, Url };

struct KeySpec {
  Key key;  // its own place in kSpecs (checked when compiled)
  const char* name;
  ValueKind kind;
  const char* fallback;  // default encoding; the dapp name's is derived instead
  const char* help;
};

const KeySpec& spec(Key k);
std::optional<Key> key_named(std::string_view name);

// Checks an encoded value; a sentence saying what is wrong, or "".
std::string check_value(Key k, std::string_view encoded);
// Turns what a user typed (`config set`) into the encoding: lists as JSON
// arrays or comma-separated words.
bool encode_input(Key k, std::string_view input, std::string& encoded, std::string& why);

// The Docker image name of the gateway for a network on this machine:
// pintheon-NETWORK-linux-amd64 (or linux-arm64, or the machine's own name).
std::string dapp_name(std::string_view network);

// The gateway image: REGISTRY/DAPP:latest (metavinci/pintheon-testnet-linux-amd64:latest).
class Config;
std::string image_ref(const Config& cfg);

// The first element of a List encoding.
inline std::string_view first_of(std::string_view list) { return list.substr(0, list.find('\n')); }
// Every element of a List encoding.
std::vector<std::string_view> list_elements(std::string_view list);
// A List encoding with `first` in front and the other elements after it, in
// their order: how the original's setters chose a tier or a network.
std::string list_with_first(std::string_view list, std::string_view first);

class ConfigSession;

// The configuration as one call sees it.
class Config {
 public:
  // The stored value, or the default (the dapp name derived from the first network).
  std::string_view get(Key k) const;
  // Validated by the caller; writes in the session's write transaction.
  bool set(Key k, std::string_view encoded, std::string& error);

 private:
  friend class ConfigSession;
  ConfigSession* session_ = nullptr;
  Store* store_ = nullptr;  // null: defaults or an in-memory import
  std::array<std::optional<std::string_view>, kKeyCount> values_;
  std::deque<std::string> owned_;  // backing for values not in the store's map (stable)
  mutable std::string derived_dapp_;
  std::string_view own(std::string s);
  void detach();  // values copied out of the store's map; no store any more
};

// Opens the configuration for one call.
//  - A store exists: one read (or write) transaction on it.
//  - No store, but the Python CLI's db.json (or fast_config.json) is there:
//    imports it in one write transaction first, then answers from it.
//  - Neither: defaults; the store is created only when a value is set, so a
//    query, or a setter refused for a bad value, creates nothing.
// Stores are created whole (Store::create), so concurrent first calls are safe.
class ConfigSession {
 public:
  // false: the store cannot be used (message on err; exit 1).
  bool open(bool write, Sink& err);
  Config& config() { return config_; }
  bool commit(Sink& err);
  // The process exits after this call: let the kernel tear the store down.
  void end_for_exit() {
    if (config_.store_) store_.leave_for_exit();
  }
  const std::string& data_dir() const { return dir_; }
  Store& store() { return store_; }
  // A remembered answer ("cache/NAME"), when the store is open and has one.
  std::optional<std::string_view> cached(std::string_view name);
  // Remembers an answer in this write session (creating the store if needed).
  bool remember(std::string_view name, std::string_view value, std::string& error);
  bool has_store() const { return config_.store_ != nullptr; }
  // A read session whose command works longer than the store's 10 s guard
  // allows (pulls, downloads, questions): the values are copied out and the
  // store is closed now; config() keeps answering.
  void release();
  // The store of a write session for records that are not config values
  // (the vault); created now when the call found none. Null with the
  // reason in error.
  Store* writable_store(std::string& error);

 private:
  friend class Config;
  enum class NoStore { Defaults, Created, Answered, Failed };
  // No store: make one from the Python CLI's files when there are any.
  NoStore import_legacy(bool write, Sink& err);
  // A read-only folder with only legacy files: answer from them in memory.
  bool answer_from_legacy(const ImportPlan& plan, const std::string& why, Sink& err);
  // The first set of a call that found no store: create it now.
  bool create_now(std::string& error);
  bool read_values(bool strict, Sink& err);
  bool create_on_write_ = false;
  std::string dir_;
  fs::Dir folder_;  // dir_, opened once and checked (not open: not there yet)
  Store store_;
  Config config_;
};

}  // namespace hvym
