// The listening side of `hvym serve` (endpoint_posix.cpp, endpoint_win.cpp):
// a unix socket (mode 0600) on POSIX, a named pipe only this user may open
// on Windows; and the stop that ends the server (SIGTERM/SIGINT on POSIX;
// Ctrl-C, Ctrl-Break or closing the console on Windows).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hvym::endpoint {

// Set once, from any thread or a signal handler; waited for by the server
// and its connections. cancel_fd() is readable once set (batch's children
// are killed when it fires).
class Stop {
 public:
  Stop() = default;
  Stop(const Stop&) = delete;
  Stop& operator=(const Stop&) = delete;
  ~Stop();
  bool make();
  void set();
  bool is_set() const;
  int cancel_fd() const { return fds_[0]; }
  intptr_t native() const { return event_; }  // Windows: the event handle

 private:
  int fds_[2] = {-1, -1};
  intptr_t event_ = 0;
};

// SIGTERM and SIGINT (Windows: the console's control events) set `stop`.
void stop_on_request(Stop& stop);

// Where serve listens when not told: $XDG_RUNTIME_DIR/hvym.sock, else
// hvym.sock in the data folder (POSIX); \\.\pipe\hvym-USER (Windows).
// `data_dir` is the data folder (store/paths.h). "" when there is no such
// place.
std::string default_address(const std::string& data_dir);
// 12 hex digits of a hash of the text (FNV-1a): a short, stable name for a
// data folder or a path (endpoint.cpp).
std::string short_hash(std::string_view text);

// What the person wrote for --socket, as a full address (Windows: a bare
// NAME means \\.\pipe\NAME); "" with the reason in error when it cannot be.
std::string full_address(std::string_view given, std::string& error);

// The socket's folder made (0700) and checked: this user's, and nobody
// else may replace a file in it. False with the reason. (A pipe: true.)
bool prepare_folder(const std::string& address, std::string& error);

class Connection {
 public:
  explicit Connection(intptr_t h) : h_(h) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();
  // Up to n bytes: >0 read, 0 the client closed, -1 an error, -2 stopped
  // first, -3 nothing came within timeout_ms (<0: no limit). Looks for
  // data for spin_us before sleeping (a client often sends its next line
  // right after an answer).
  long long receive(char* buf, size_t n, const Stop& stop, int spin_us, int timeout_ms = -1);
  // All of data; false when the client is gone or reads nothing for 10 s.
  bool send(std::string_view data);
  // From another thread: a receive() waiting on it returns -1 at once, and
  // the client sees the connection end (serve makes room for a new one).
  void interrupt();

 private:
  intptr_t h_;
};

class Listener {
 public:
  Listener() = default;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();
  // Refuses an address a live server answers on, and a file that is not a
  // socket; replaces a stale socket. False with the reason.
  bool open(const std::string& address, std::string& error);
  // Waits up to ms for a client; nullptr when none came or stop was set
  // (the caller owns what it returns).
  Connection* accept(int ms, const Stop& stop);
  // No new clients; the socket file is removed.
  void close();

 private:
  intptr_t h_ = -1;
  intptr_t pending_ = -1;  // Windows: the pipe instance waiting for a client
  intptr_t event_ = 0;
  void* connect_ = nullptr;  // Windows: the OVERLAPPED of a ConnectNamedPipe under way
  bool waiting_ = false;
  std::string address_;
};

}  // namespace hvym::endpoint
