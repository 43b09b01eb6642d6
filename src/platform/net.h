// Stream connections for the HTTP client (net_posix.cpp, net_win.cpp): a
// unix socket (the Docker Engine API), loopback TCP (the Pinggy debugger),
// a Windows named pipe (Docker Desktop's engine). Every wait has a deadline
// on now_ms()'s clock, so a silent peer never hangs hvym.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace hvym::net {

enum class Result { Ok, Absent, Refused, Denied, TimedOut, Failed };

class Stream {
 public:
  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream();

  Result connect_unix(const std::string& path, long long deadline, std::string& detail);
  Result connect_loopback(uint16_t port, long long deadline, std::string& detail);
  // \\.\pipe\NAME (Windows); elsewhere Failed.
  Result connect_pipe(const std::string& name, long long deadline, std::string& detail);
  // Sends everything, or false (TimedOut in `why` when the deadline passed).
  bool send_all(std::string_view data, long long deadline, Result& why, std::string& detail);
  // Up to n bytes as they come: >0 bytes, 0 at the end of the stream, -1
  // on an error, -2 when the deadline passed first.
  long long receive(char* buf, size_t n, long long deadline);

 private:
  intptr_t h_ = -1;  // a descriptor, a SOCKET or a HANDLE
  bool pipe_ = false;
};

}  // namespace hvym::net
