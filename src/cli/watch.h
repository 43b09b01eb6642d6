// serve's watches (docs/protocol.md: watch, unwatch, changed): answers kept
// from their sources (the store's commits, the engine's event stream, the
// tunnel's process) by one thread of the server, the hub, which sleeps
// until one of them changes, works out the answers watched, and hands each
// subscription what differs from what it was last told. A connection sends
// that from a thread of its own (serve_session.cpp), so a client that reads
// slowly holds up no other.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hvym::serve::watch {

inline constexpr size_t kMaxTopics = 32;          // in one watch
inline constexpr size_t kMaxPerConnection = 16;   // watches open on one connection
inline constexpr size_t kMaxWatches = 256;        // across the server

// Whether `name` may be watched: a command without arguments that runs in
// the server (a config query, a probe, stellar-list), or pintheon-container.
bool is_topic(std::string_view name);

// One watch of one connection.
struct Subscription {
  int number = 0;
  std::vector<std::string> topics;
  // Something waits to be sent: called on the hub's thread with its lock
  // held (never after unsubscribe() returned); it must only take locks of
  // its own connection's that are never held while calling in here.
  std::function<void()> wake;
  // The hub's lock guards what follows.
  std::map<std::string, std::string> told;     // topic -> the result (JSON) last sent
  std::map<std::string, std::string> pending;  // topic -> a result not sent yet
  std::string sources_told, sources_pending;
  uint64_t seq = 0;
  bool ready = false;  // told holds the first values: changes are kept from then on
};

// Registers `sub` and writes the `watch` result (its values now, and how
// fresh they are) to result_json. False with the reason when the server
// holds kMaxWatches already or could not start its hub.
bool subscribe(const std::shared_ptr<Subscription>& sub, std::string& result_json, std::string& why);
void unsubscribe(const Subscription* sub);
// What changed for `sub` since it was last told, as a `changed`
// notification's params ("" when nothing did); told from now on.
std::string take_change(Subscription& sub);

// A probe of the engine was asked through serve: follow the engine's event
// stream from now on, so the next one answers from it.
void engine_probe_asked();

// Whether a command's answer may come from the engine's event stream.
bool asks_engine(std::string_view cmd);

}  // namespace hvym::serve::watch
