// hvym serve: batch requests over a local endpoint (a unix socket; a named
// pipe on Windows: src/platform/endpoint.h), one line in, one line out, for
// callers that ask often (the GUI's status refresh).
#include <atomic>
#include <cstdlib>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "cli/args.h"
#include "cli/batch.h"
#include "cli/command.h"
#include "json/json_writer.h"
#include "platform/endpoint.h"
#include "platform/process.h"
#include "cli/sink.h"
#include "store/store.h"
#include "platform/wipe.h"

namespace hvym::commands {
namespace {

constexpr size_t kMaxLine = 1 << 20;
constexpr int kMaxClients = 64;            // connections served at once; more are turned away
constexpr long long kReaderCheckMs = 5000; // how often dead readers are cleared from the store
constexpr long long kStopWithinMs = 1800;  // SIGTERM: gone within 2 s, whatever runs
constexpr long long kSpinUs = 200;  // how long a connection looks for a next line before sleeping

struct Server {
  endpoint::Stop stopping;  // set once the server stops: connections finish up
  std::atomic<int> active{0};
  std::atomic<long long> last_activity{0};
};

void answer_error(endpoint::Connection& c, const std::string& message, size_t offset, bool with_offset) {
  std::string line;
  {
    StringSink s(line);
    JsonWriter w(s);
    w.begin_object();
    w.key("error");
    w.string(message);
    if (with_offset) {
      w.key("offset");
      w.integer(static_cast<int64_t>(offset));
    }
    w.end_object();
  }
  line += '\n';
  c.send(line);
}

// A Sink that sends to a client; its buffer is wiped after, as it may have
// carried a secret key or a passphrase the request held.
class ConnectionSink : public Sink {
 public:
  explicit ConnectionSink(endpoint::Connection& c) : Sink(&ConnectionSink::send, &c) {}
  ~ConnectionSink() {
    flush();
    wipe_buffer();
  }

 private:
  static bool send(void* ctx, const char* data, size_t n) {
    return static_cast<endpoint::Connection*>(ctx)->send({data, n});
  }
};

// Answers one line; false when the client is gone.
bool answer(Server& server, endpoint::Connection& c, batch::RequestParser& parser, std::string_view line) {
  std::vector<batch::Request> requests;
  std::string error;
  size_t offset = 0;
  if (!batch::parse_requests(parser, line, true, requests, error, offset)) {
    answer_error(c, "malformed request: " + error, offset, true);
    return true;
  }
  bool sent;
  {  // the answer goes out as it is written: no second copy of a large one
    ConnectionSink sink(c);
    batch::run(requests, sink, {.cancel_fd = server.stopping.cancel_fd()});
    sink.put('\n');
    sent = sink.flush();
  }
  for (batch::Request& r : requests) wipe(r.input);
  return sent;
}

bool blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

void serve_connection(Server& server, endpoint::Connection& c) {
  batch::RequestParser parser;  // one per connection: its buffers reused line after line
  std::string buf;
  bool skipping = false;  // inside an oversized line: drop until its end
  char chunk[65536];
  int spin_us = 0;
  while (true) {
    long long n = c.receive(chunk, sizeof chunk, server.stopping, spin_us);
    if (n <= 0) {
      // The client closed its side: a last line without its line end is
      // still a request (printf '["check"]' | nc -U ...).
      if (n == 0 && !skipping && buf.size() <= kMaxLine && !blank(buf)) answer(server, c, parser, buf);
      break;
    }
    spin_us = kSpinUs;
    server.last_activity = now_ms();
    size_t start = buf.size();
    buf.append(chunk, static_cast<size_t>(n));
    // Every complete line read is accepted: it is answered even when a
    // stop comes meanwhile.
    bool open = true;
    size_t from = 0, nl;
    while ((nl = buf.find('\n', std::max(from, start))) != std::string::npos) {
      std::string_view line(buf.data() + from, nl - from);
      if (skipping) {
        skipping = false;
      } else if (line.size() > kMaxLine) {
        answer_error(c, "request over 1 MB", 0, false);
      } else if (!blank(line) && !answer(server, c, parser, line)) {
        open = false;
        break;
      }
      from = nl + 1;
      start = from;
    }
    wipe(buf.data(), from);  // lines answered: they may have carried passphrases
    wipe(chunk, static_cast<size_t>(n));
    if (!open) break;
    buf.erase(0, from);
    if (buf.size() > kMaxLine && !skipping) {
      answer_error(c, "request over 1 MB", 0, false);
      skipping = true;
    }
    if (skipping) buf.clear();
    server.last_activity = now_ms();
  }
  wipe(buf);
}

constexpr Param kServeParams[] = {
    {Kind::Option, Type::String, "--socket", nullptr,
     "The socket (default $XDG_RUNTIME_DIR/hvym.sock, else hvym.sock in the data folder; on "
     "Windows a pipe name, default \\\\.\\pipe\\hvym-USER).", true},
    {Kind::Option, Type::Int, "--idle-exit", nullptr, "Exit after SECONDS without clients.", true},
};
constexpr size_t kSocket = param(kServeParams, "--socket");
constexpr size_t kIdleExit = param(kServeParams, "--idle-exit");

int run_serve(Call& call) {
  std::string error;
  std::string address =
      call[kSocket].given ? endpoint::full_address(call[kSocket].text, error) : endpoint::default_address();
  if (call[kSocket].given && address.empty()) return usage_error(call, "Invalid value for '--socket': " + error + ".");
  if (address.empty()) return failure(call, "no place for the socket: set XDG_RUNTIME_DIR, HOME or HVYM_HOME, or give --socket.");
  long long idle_ms = 0;
  if (const Value& idle = call[kIdleExit]; idle.given) {
    if (!idle.i_fits || idle.i < 1 || idle.i > 86400 * 365)
      return usage_error(call, "Invalid value for '--idle-exit': " + idle.digits + " is not a positive number of seconds.");
    idle_ms = idle.i * 1000;
  }
  endpoint::Listener listener;
  if (!listener.open(address, error)) return failure(call, error);
  Server server;
  endpoint::Stop requested;  // SIGTERM, SIGINT, the console's Ctrl-C
  if (!requested.make() || !server.stopping.make()) return failure(call, "cannot make a pipe");
  batch::enter_shared_mode();
  endpoint::stop_on_request(requested);
  call.err.line("hvym serve: listening on " + address);
  call.err.flush();

  server.last_activity = now_ms();
  long long next_reader_check = now_ms() + kReaderCheckMs;
  while (!requested.is_set()) {
    endpoint::Connection* c = listener.accept(idle_ms ? 200 : 1000, requested);
    if (now_ms() >= next_reader_check) {  // readers that died would pin pages and fill the table
      Store::check_readers();
      next_reader_check = now_ms() + kReaderCheckMs;
    }
    if (!c) {
      if (idle_ms && server.active == 0 && now_ms() - server.last_activity > idle_ms) break;
      continue;
    }
    if (server.active >= kMaxClients) {
      answer_error(*c, "too many clients (" + std::to_string(kMaxClients) + "); try again", 0, false);
      delete c;
      continue;
    }
    ++server.active;
    server.last_activity = now_ms();
    try {
      // Detached: a finished connection leaves nothing behind; the stop
      // below waits for the count of active ones to reach zero.
      std::thread([&server, c] {
        serve_connection(server, *c);
        delete c;
        server.last_activity = now_ms();
        --server.active;
      }).detach();
    } catch (const std::system_error&) {
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

extern const Command serve;

constinit const Command serve{
    .name = "serve",
    .group = Group::Tools,
    .summary = "Answer batch requests on a local socket, a line each (docs/batch.md).",
    .help = "Listen on a unix socket (mode 0600; on Windows a named pipe only this user may open) and answer each line, a JSON request or array of "
            "requests, with one line in hvym batch's format. Every line reads a fresh snapshot of "
            "the config; clients are served at the same time. SIGTERM or SIGINT: the lines read "
            "are answered, the socket is removed, exit 0. Refuses to start when a server already "
            "answers on the socket; a stale one is replaced. On Windows, Ctrl-C, Ctrl-Break or closing "
            "the console stop it the same way.",
    .params = kServeParams,
    .needs = kNeedsNothing,
    .run = run_serve,
};

}  // namespace hvym::commands
