// hvym serve: batch requests over a unix socket, one line in, one line out,
// for callers that ask often (the GUI's status refresh).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "args.h"
#include "batch.h"
#include "command.h"
#include "json_writer.h"
#include "paths.h"
#include "process.h"
#include "sink.h"
#include "store.h"
#include "wipe.h"

namespace hvym::commands {
namespace {

// A unix stream socket not inherited by children (macOS has no SOCK_CLOEXEC).
int unix_socket() {
#ifdef SOCK_CLOEXEC
  return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
#else
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
#endif
}

constexpr size_t kMaxLine = 1 << 20;
constexpr int kMaxClients = 64;            // connections served at once; more are turned away
constexpr int kSendTimeoutS = 10;          // a client that reads no answers is dropped
constexpr long long kReaderCheckMs = 5000; // how often dead readers are cleared from the store
constexpr long long kStopWithinMs = 1800;  // SIGTERM: gone within 2 s, whatever runs
constexpr long long kSpinUs = 200;  // how long a connection looks for a next line before sleeping

long long now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

int g_signal_pipe[2] = {-1, -1};
void on_stop_signal(int) {
  char c = 's';
  ssize_t ignored = write(g_signal_pipe[1], &c, 1);
  (void)ignored;
}

std::string default_socket() {
  if (const char* run = std::getenv("XDG_RUNTIME_DIR"); run && *run) return std::string(run) + "/hvym.sock";
  std::string dir = data_dir();
  return dir.empty() ? std::string() : dir + "/hvym.sock";
}

bool fill_address(const std::string& path, sockaddr_un& a) {
  std::memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) return false;
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return true;
}

// Something answers on path.
bool live(const sockaddr_un& a) {
  int fd = unix_socket();
  if (fd < 0) return false;
  bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

struct Server {
  int stop_pipe[2] = {-1, -1};  // readable once the server stops: connections finish up
  std::atomic<int> active{0};
  std::atomic<long long> last_activity{0};
};

void answer_error(int fd, const std::string& message, size_t offset, bool with_offset) {
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
  write_all(fd, line.data(), line.size());
}

// Answers one line; false when the client is gone.
bool answer(Server& server, int fd, std::string_view line) {
  std::vector<batch::Request> requests;
  std::string error;
  size_t offset = 0;
  if (!batch::parse_requests(line, true, requests, error, offset)) {
    answer_error(fd, "malformed request: " + error, offset, true);
    return true;
  }
  std::string out;
  {
    StringSink sink(out);
    batch::run(requests, sink, {.cancel_fd = server.stop_pipe[0]});
  }
  out += '\n';
  bool sent = write_all(fd, out.data(), out.size());
  wipe(out);  // it may hold a secret key or a passphrase the request carried
  for (batch::Request& r : requests) wipe(r.input);
  return sent;
}

void serve_connection(Server& server, int fd) {
  std::string buf;
  bool skipping = false;  // inside an oversized line: drop until its end
  char chunk[65536];
  bool open = true;
  long long spin_until = 0;
  while (open) {
    // Right after an answer the client often sends its next line at once:
    // look for it for a moment before sleeping in poll() (a wake-up from
    // poll costs this machine about as much as the whole answer).
    ssize_t n = -1;
    while (now_us() < spin_until && (n = recv(fd, chunk, sizeof chunk, MSG_DONTWAIT)) < 0 &&
           (errno == EAGAIN || errno == EINTR)) {
    }
    if (n < 0) {
      pollfd pfd[2] = {{fd, POLLIN, 0}, {server.stop_pipe[0], POLLIN, 0}};
      if (poll(pfd, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (pfd[1].revents) break;  // stopping: lines not read yet were not accepted
      n = read(fd, chunk, sizeof chunk);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    }
    if (n <= 0) {
      // The client closed its side: a last line without its line end is
      // still a request (printf '["check"]' | nc -U ...).
      if (n == 0 && !skipping && buf.size() <= kMaxLine && buf.find_first_not_of(" \t\r") != std::string::npos)
        answer(server, fd, buf);
      break;
    }
    spin_until = now_us() + kSpinUs;
    server.last_activity = now_ms();
    size_t start = buf.size();
    buf.append(chunk, static_cast<size_t>(n));
    // Every complete line read is accepted: it is answered even when a
    // stop comes meanwhile.
    size_t from = 0, nl;
    while ((nl = buf.find('\n', std::max(from, start))) != std::string::npos) {
      std::string_view line(buf.data() + from, nl - from);
      if (skipping) {
        skipping = false;
      } else if (line.size() > kMaxLine) {
        answer_error(fd, "request over 1 MB", 0, false);
      } else if (line.find_first_not_of(" \t\r") != std::string_view::npos && !answer(server, fd, line)) {
        open = false;
        break;
      }
      from = nl + 1;
      start = from;
    }
    wipe(buf.data(), from);  // lines answered: they may have carried passphrases
    wipe(chunk, static_cast<size_t>(n));
    buf.erase(0, from);
    if (buf.size() > kMaxLine && !skipping) {
      answer_error(fd, "request over 1 MB", 0, false);
      skipping = true;
    }
    if (skipping) buf.clear();
    server.last_activity = now_ms();
  }
  close(fd);
}

constexpr Param kServeParams[] = {
    {Kind::Option, Type::String, "--socket", nullptr,
     "The socket (default $XDG_RUNTIME_DIR/hvym.sock, else hvym.sock in the data folder).", true},
    {Kind::Option, Type::Int, "--idle-exit", nullptr, "Exit after SECONDS without clients.", true},
};

int run_serve(Call& call) {
  std::string path = call[0].given ? std::string(call[0].text) : default_socket();
  if (path.empty()) return failure(call, "no place for the socket: set XDG_RUNTIME_DIR, HOME or HVYM_HOME, or give --socket.");
  long long idle_ms = 0;
  if (call[1].given) {
    if (!call[1].i_fits || call[1].i < 1 || call[1].i > 86400 * 365)
      return usage_error(call, "Invalid value for '--idle-exit': " + call[1].digits + " is not a positive number of seconds.");
    idle_ms = call[1].i * 1000;
  }
  sockaddr_un addr;
  if (!fill_address(path, addr)) return failure(call, "the socket path is too long: " + path);
  std::string dir = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
  std::string error;
  if (!dir.empty() && !make_dirs(dir, 0700, error)) return failure(call, error + ".");

  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return failure(call, path + " exists and is not a socket; nothing done.");
    if (live(addr)) return failure(call, "a server already answers on " + path + ".");
    unlink(path.c_str());  // a stale socket from a server that died
  }
  int listener = unix_socket();
  if (listener < 0) return failure(call, std::string("cannot make a socket: ") + std::strerror(errno));
  mode_t old_mask = umask(077);  // the socket is born 0600
  int bound = bind(listener, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  umask(old_mask);
  if (bound != 0 || listen(listener, 128) != 0) {
    std::string why = std::strerror(errno);
    close(listener);
    return failure(call, "cannot listen on " + path + ": " + why);
  }
  chmod(path.c_str(), 0600);

  Server server;
  if (!make_pipe(g_signal_pipe) || !make_pipe(server.stop_pipe))
    return failure(call, "cannot make a pipe");
  batch::enter_shared_mode();
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  call.err.line("hvym serve: listening on " + path);
  call.err.flush();

  server.last_activity = now_ms();
  long long next_reader_check = now_ms() + kReaderCheckMs;
  while (true) {
    int wait = idle_ms ? 200 : 1000;
    pollfd pfd[2] = {{listener, POLLIN, 0}, {g_signal_pipe[0], POLLIN, 0}};
    int ready = poll(pfd, 2, wait);
    if (ready < 0 && errno != EINTR) break;
    if (pfd[1].revents) break;
    if (idle_ms && server.active == 0 && now_ms() - server.last_activity > idle_ms) break;
    if (now_ms() >= next_reader_check) {  // readers that died would pin pages and fill the table
      Store::check_readers();
      next_reader_check = now_ms() + kReaderCheckMs;
    }
    if (ready <= 0 || !pfd[0].revents) continue;
#ifdef __linux__
    int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
#else
    int fd = accept(listener, nullptr, nullptr);  // no accept4: marked right after
    if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
    if (fd < 0) continue;
    if (server.active >= kMaxClients) {
      answer_error(fd, "too many clients (" + std::to_string(kMaxClients) + "); try again", 0, false);
      close(fd);
      continue;
    }
    timeval send_timeout{kSendTimeoutS, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    ++server.active;
    server.last_activity = now_ms();
    try {
      // Detached: a finished connection leaves nothing behind; the stop
      // below waits for the count of active ones to reach zero.
      std::thread([&server, fd] {
        serve_connection(server, fd);
        server.last_activity = now_ms();
        --server.active;
      }).detach();
    } catch (const std::system_error&) {
      close(fd);
      --server.active;
    }
  }
  // Stop: no new clients; connections answer what they have read, then end.
  close(listener);
  unlink(path.c_str());
  char c = 'x';
  ssize_t ignored = write(server.stop_pipe[1], &c, 1);
  (void)ignored;
  // Lines already read are answered: in-process requests are short, and
  // children were told to stop. Whatever still runs after that is cut off.
  long long give_up = now_ms() + kStopWithinMs;
  while (server.active > 0 && now_ms() < give_up) poll(nullptr, 0, 5);
  if (server.active > 0) {
    call.err.line("hvym serve: stopped (" + std::to_string(server.active.load()) + " answers cut off)");
    call.err.flush();
    _exit(kOk);  // threads still run: returning would free what they use
  }
  call.err.line("hvym serve: stopped");
  return kOk;
}

}  // namespace

extern const Command serve;

constinit const Command serve{
    .name = "serve",
    .group = Group::Tools,
    .summary = "Answer batch requests on a unix socket, a line each (docs/batch.md).",
    .help = "Listen on a unix socket (mode 0600) and answer each line, a JSON request or array of "
            "requests, with one line in hvym batch's format. Every line reads a fresh snapshot of "
            "the config; clients are served at the same time. SIGTERM or SIGINT: the lines read "
            "are answered, the socket is removed, exit 0. Refuses to start when a server already "
            "answers on the socket; a stale one is replaced.",
    .params = kServeParams,
    .needs = kNeedsNothing,
    .run = run_serve,
};

}  // namespace hvym::commands
