// serve's endpoint (endpoint.h) on POSIX: a unix stream socket born 0600,
// a pipe that a signal handler may write to for the stop.
#include "platform/endpoint.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "platform/files.h"
#include "platform/process.h"

namespace hvym::endpoint {
namespace {

constexpr int kSendTimeoutS = 10;

long long now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

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

bool fill_address(const std::string& path, sockaddr_un& a) {
  std::memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) return false;
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return true;
}

// Something answers on the address.
bool live(const sockaddr_un& a) {
  int fd = unix_socket();
  if (fd < 0) return false;
  bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// The socket's folder is this user's and nobody else may write it (else
// another user could replace the socket and hear the next request); a
// sticky folder (/tmp) protects our socket from others, when it is root's
// or ours (its owner may remove anything in it).
bool folder_safe(const std::string& dir, std::string& error) {
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) return error = "cannot read " + dir + ": " + std::strerror(errno), false;
  if (!S_ISDIR(st.st_mode)) return error = dir + " is not a folder", false;
  bool ours = st.st_uid == geteuid();
  bool others_write = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  if (!ours && st.st_uid != 0)
    return error = dir + " belongs to another user; the socket would not be safe there", false;
  if (others_write && !(st.st_mode & S_ISVTX))
    return error = "another user may write " + dir + "; the socket would not be safe there", false;
  return true;
}

Stop* g_stop = nullptr;
void on_signal(int) {
  if (g_stop) g_stop->set();
}

}  // namespace

Stop::~Stop() {
  close_fd(fds_[0]);
  close_fd(fds_[1]);
}
bool Stop::make() { return make_pipe(fds_); }
void Stop::set() { poke_fd(fds_[1]); }  // async-signal-safe
bool Stop::is_set() const { return fd_readable(fds_[0]); }

void stop_on_request(Stop& stop) {
  g_stop = &stop;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

std::string default_address(const std::string& dir) {
  std::string path;
  if (const char* run = std::getenv("XDG_RUNTIME_DIR"); run && *run) {
    // One server per data folder: the default one is hvym.sock, another
    // (HVYM_HOME) gets a name of its own beside it.
    const char* home = std::getenv("HVYM_HOME");
    path = std::string(run) + (home && *home ? "/hvym-" + short_hash(dir) + ".sock" : "/hvym.sock");
  } else if (!dir.empty()) {
    path = dir + "/hvym.sock";
  } else {
    return {};
  }
  sockaddr_un a;
  if (fill_address(path, a)) return path;
  // Too long for a socket: a short name in a private folder of the
  // system's temporary one (Listener::open checks the folder is ours).
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp && *tmp && std::strlen(tmp) < 60 ? tmp : "/tmp";
  return base + "/hvym-" + std::to_string(geteuid()) + "/" + short_hash(path) + ".sock";
}

std::string full_address(std::string_view given, std::string& error) {
  if (given.empty()) return error = "the socket path is empty", std::string();
  return std::string(given);
}

bool prepare_folder(const std::string& path, std::string& error) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash);
  if (!dir.empty() && !make_dirs(dir, 0700, error)) return error += ".", false;
  if (!dir.empty() && !folder_safe(dir, error)) return error += ".", false;
  return true;
}

Connection::~Connection() { ::close(static_cast<int>(h_)); }

long long Connection::receive(char* buf, size_t n, const Stop& stop, int spin_us, int timeout_ms) {
  int fd = static_cast<int>(h_);
  // A wake-up from poll() costs about as much as a whole answer: look for
  // the next line for a moment first.
  long long spin_until = spin_us > 0 ? now_us() + spin_us : 0;
  while (true) {
    ssize_t got = recv(fd, buf, n, MSG_DONTWAIT);
    if (got >= 0) return got;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
    if (now_us() >= spin_until) break;
  }
  while (true) {
    pollfd pfd[2] = {{fd, POLLIN, 0}, {stop.cancel_fd(), POLLIN, 0}};
    int ready = poll(pfd, 2, timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (ready == 0) return -3;  // nothing within timeout_ms
    if (pfd[1].revents) return -2;  // stopping: lines not read yet were not accepted
    ssize_t got = read(fd, buf, n);
    if (got >= 0) return got;
    if (errno != EINTR && errno != EAGAIN) return -1;
  }
}

void Connection::interrupt() { ::shutdown(static_cast<int>(h_), SHUT_RDWR); }

bool Connection::send(std::string_view data) { return write_fd(static_cast<int>(h_), data); }

Listener::~Listener() { close(); }

bool Listener::open(const std::string& path, std::string& error) {
  sockaddr_un addr;
  if (!fill_address(path, addr)) return error = "the socket path is too long: " + path, false;
  if (!prepare_folder(path, error)) return false;
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return error = path + " exists and is not a socket; nothing done.", false;
    if (live(addr)) return error = "a server already answers on " + path + ".", false;
    unlink(path.c_str());  // a stale socket from a server that died
  }
  int fd = unix_socket();
  if (fd < 0) return error = std::string("cannot make a socket: ") + std::strerror(errno), false;
  mode_t old_mask = umask(077);  // the socket is born 0600
  int bound = bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  umask(old_mask);
  if (bound != 0 || listen(fd, 128) != 0) {
    error = "cannot listen on " + path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  chmod(path.c_str(), 0600);
  h_ = fd;
  address_ = path;
  return true;
}

Connection* Listener::accept(int ms, const Stop& stop) {
  if (h_ < 0) return nullptr;
  int listener = static_cast<int>(h_);
  pollfd pfd[2] = {{listener, POLLIN, 0}, {stop.cancel_fd(), POLLIN, 0}};
  if (poll(pfd, 2, ms) <= 0 || pfd[1].revents || !pfd[0].revents) return nullptr;
#ifdef __linux__
  int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
#else
  int fd = ::accept(listener, nullptr, nullptr);  // no accept4: marked right after
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
  if (fd < 0) return nullptr;
  timeval send_timeout{kSendTimeoutS, 0};  // a client that reads no answers is dropped
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  return new Connection(fd);
}

void Listener::close() {
  if (h_ < 0) return;
  ::close(static_cast<int>(h_));
  unlink(address_.c_str());
  h_ = -1;
}

}  // namespace hvym::endpoint
