// hvym serve: batch requests over a local endpoint (a unix socket; a named
// pipe on Windows: src/platform/endpoint.h), one line in, one line out, for
// callers that ask often (the GUI's status refresh).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "unit/args.h"
#include "cli/batch.h"
#include "unit/command.h"
#include "json/json_writer.h"
#include "net/engine_follow.h"
#include "platform/endpoint.h"
#include "platform/process.h"
#include "cli/serve_ensure.h"
#include "cli/serve_rpc.h"
#include "cli/serve_session.h"
#include "io/sink.h"
#include "store/paths.h"
#include "store/store.h"
#include "platform/wipe.h"

namespace hvym::commands {
namespace {

constexpr int kMaxClients = 64;            // connections served at once; more are turned away
constexpr int kMaxTurningAway = 8;         // connections being told so at once; more are closed
constexpr long long kReaderCheckMs = 5000; // how often dead readers are cleared from the store
constexpr long long kStopWithinMs = 1800;  // SIGTERM: gone within 2 s, whatever runs
constexpr long long kIdleCheckMs = 60000;  // --idle-exit with clients connected: looked at again at most after this

std::atomic<int> g_turning_away{0};

void turn_away(endpoint::Connection* c) {
  if (g_turning_away >= kMaxTurningAway) return void(delete c);
  ++g_turning_away;
  try {
    std::thread([c] {
      serve::turn_away(*c, kMaxClients);
      delete c;
      --g_turning_away;
    }).detach();
  } catch (const std::system_error&) {
    delete c;
    --g_turning_away;
  }
}

constexpr Param kServeParams[] = {
    {Kind::Option, Type::String, "--socket", nullptr,
     "The socket (default $XDG_RUNTIME_DIR/hvym.sock, else hvym.sock in the data folder; on "
     "Windows a pipe name, default \\\\.\\pipe\\hvym-USER).", true},
    {Kind::Option, Type::Int, "--idle-exit", nullptr,
     "Exit after SECONDS without clients (with --ensure: 600 unless given).", true},
    {Kind::Flag, Type::Bool, "--ensure", nullptr,
     "Connect to the server for this user and data folder, or start one (detached), then print "
     "where it is as JSON and exit (docs/protocol.md).", true},
};
constexpr size_t kSocket = param(kServeParams, "--socket");
constexpr size_t kIdleExit = param(kServeParams, "--idle-exit");
constexpr size_t kEnsure = param(kServeParams, "--ensure");
constexpr long long kEnsureIdleS = 600;

int run_serve(Call& call) {
  std::string error;
  std::string address =
      call[kSocket].given ? endpoint::full_address(call[kSocket].text, error) : endpoint::default_address(data_dir());
  if (call[kSocket].given && address.empty()) return usage_error(call, "Invalid value for '--socket': " + error + ".");
  if (address.empty()) return failure(call, "no place for the socket: set XDG_RUNTIME_DIR, HOME or HVYM_HOME, or give --socket.");
  long long idle_ms = 0;
  if (const Value& idle = call[kIdleExit]; idle.given) {
    if (!idle.i_fits || idle.i < 1 || idle.i > 86400 * 365)
      return usage_error(call, "Invalid value for '--idle-exit': " + idle.digits + " is not a positive number of seconds.");
    idle_ms = idle.i * 1000;
  }
  if (call[kEnsure].given) return serve::ensure(call, address, idle_ms ? idle_ms / 1000 : kEnsureIdleS);
  endpoint::Listener listener;
  if (!listener.open(address, error)) return failure(call, error);
  serve::Server server;
  server.address = address;
  endpoint::Stop requested;  // SIGTERM, SIGINT, the console's Ctrl-C, a client's shutdown
  if (!requested.make() || !server.stopping.make()) return failure(call, "cannot make a pipe");
  server.requested = &requested;
  batch::enter_shared_mode();
  // A test hook (tests/cli/test_watch.py): how long the engine's event
  // stream may be silent before it is checked (net/engine_follow.h).
  if (const char* verify = std::getenv("HVYM_WATCH_VERIFY_MS")) engine_follow::set_verify_ms(std::atoll(verify));
  endpoint::stop_on_request(requested);
  call.err.line("hvym serve: listening on " + address);
  call.err.flush();

  server.last_activity = now_ms();
  long long next_reader_check = now_ms() + kReaderCheckMs;
  while (!requested.is_set()) {
    // No timer ticks while nothing happens: without --idle-exit the wait has
    // no end; with it, it ends when the server may have been idle long
    // enough, and while clients stay connected it looks again every tenth
    // of that (at most a minute): the last one may leave meanwhile.
    int wait_ms = -1;
    if (idle_ms) {
      long long left = server.active == 0 ? idle_ms - (now_ms() - server.last_activity)
                                          : std::min(idle_ms / 10, kIdleCheckMs);
      wait_ms = static_cast<int>(std::clamp<long long>(left, 1, kIdleCheckMs));
    }
    endpoint::Connection* c = listener.accept(wait_ms, requested);
    if (now_ms() >= next_reader_check) {  // readers that died would pin pages and fill the table
      Store::check_readers();
      next_reader_check = now_ms() + kReaderCheckMs;
    }
    if (!c) {
      if (idle_ms && server.active == 0 && now_ms() - server.last_activity > idle_ms) break;
      continue;
    }
    if (server.active >= kMaxClients && !serve::make_room(server)) {
      turn_away(c);
      continue;
    }
    ++server.active;
    server.last_activity = now_ms();
    try {
      // Detached: a finished connection leaves nothing behind; the stop
      // below waits for the count of active ones to reach zero.
      std::thread([&server, c] {
        try {
          serve::serve_connection(server, *c);
        } catch (const std::bad_alloc&) {  // this connection ends; the server goes on
        }
        delete c;
        server.last_activity = now_ms();
        --server.active;
      }).detach();
    } catch (const std::system_error&) {  // no thread for it (a process limit): told so
      c->send(serve::rpc::error(nullptr, serve::rpc::kTooManyClients,
                                "the server cannot start a thread for this connection now; try again"));
      delete c;
      --server.active;
    }
  }
  // Stop: no new clients; connections answer what they have read, then end.
  listener.close();
  server.stopping.set();
  // Lines already read are answered: in-process requests are short, and
  // children were told to stop. Whatever still runs after that is cut off.
  long long give_up = now_ms() + kStopWithinMs;
  while (server.active > 0 && now_ms() < give_up) sleep_ms(5);
  if (server.active > 0) {
    call.err.line("hvym serve: stopped (" + std::to_string(server.active.load()) + " answers cut off)");
    call.err.flush();
    std::_Exit(kOk);  // threads still run: returning would free what they use
  }
  call.err.line("hvym serve: stopped");
  return kOk;
}

}  // namespace

extern constinit const Command serve{
    .name = "serve",
    .group = Group::Tools,
    .summary = "Answer requests on a local socket: batch lines and a protocol for GUIs (docs/protocol.md).",
    .help = "Listen on a unix socket (mode 0600; on Windows a named pipe only this user may open) and answer each line, a JSON request or array of "
            "requests, with one line in hvym batch's format, or a JSON-RPC 2.0 message of docs/protocol.md (requests "
            "in flight with ids, output as it comes, cancel, questions asked through the client, and watches: "
            "changes pushed as they happen). Every line reads a fresh snapshot of "
            "the config; clients are served at the same time. SIGTERM or SIGINT: the lines read "
            "are answered, the socket is removed, exit 0. Refuses to start when a server already "
            "answers on the socket; a stale one is replaced. On Windows, Ctrl-C, Ctrl-Break or closing "
            "the console stop it the same way.",
    .params = kServeParams,
    .needs = kServer,
    .run = run_serve,
};

}  // namespace hvym::commands
