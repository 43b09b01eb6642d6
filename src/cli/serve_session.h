// One client of `hvym serve`: its batch lines (docs/batch.md) and the
// protocol (docs/protocol.md: JSON-RPC 2.0 over lines; ids, many requests in
// flight, output as it comes, cancel, questions asked through the client).
#pragma once
#include <atomic>
#include <mutex>
#include <vector>
#include <string>

#include "platform/endpoint.h"
#include "platform/process.h"

namespace hvym::serve {

inline constexpr int kProtocol = 1;  // the revision of docs/protocol.md
// Output and waiting requests held by the whole server at once: past it, a
// request answers "over budget" (a connection's own bounds are below it).
inline constexpr size_t kServerBytes = size_t{256} << 20;

// A connection as the server sees it: when its client last sent anything,
// and how much of its work is in flight.
struct Slot {
  endpoint::Connection* c = nullptr;
  std::atomic<long long> heard{0};
  std::atomic<int> busy{0};
};

struct Server {
  endpoint::Stop stopping;              // set once the server stops: connections finish up
  endpoint::Stop* requested = nullptr;  // the accept loop's stop (`shutdown` sets it)
  std::atomic<int> active{0};
  std::atomic<long long> last_activity{0};
  std::string address;
  std::mutex slots_mu;
  std::vector<Slot*> slots;  // the connections being served
  // What all its requests hold (their output, what waits): bounded together.
  ByteBudget budget{.max = kServerBytes};
};

// A connection silent this long with nothing in flight is closed.
inline constexpr long long kIdleMs = 300'000;
// When every place is taken, the one silent longest, past this and with
// nothing in flight, is closed to make room for a new client.
inline constexpr long long kRoomAfterMs = 5'000;

// Closes the connection silent longest (kRoomAfterMs): false when none may go.
bool make_room(Server& server);

// Serves one client until it leaves or the server stops; everything the
// client started is stopped before this returns.
void serve_connection(Server& server, endpoint::Connection& c);

// A client over the server's limit: its first line (or 2 s of silence) is
// answered with "too many clients", then the connection ends.
void turn_away(endpoint::Connection& c, int limit);

}  // namespace hvym::serve
