// A small HTTP/1.1 GET for local peers (the Docker Engine API on its unix
// socket, the Pinggy web debugger on loopback): one request, the status code
// of the answer, all within one deadline.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace hvym {

struct HttpAnswer {
  enum State { Answered, Absent, Refused, Denied, TimedOut, Failed } state = Failed;
  int status = 0;       // when Answered
  std::string detail;   // what went wrong otherwise
};

// GET path from the server on a unix socket.
HttpAnswer http_get_unix(const std::string& socket_path, std::string_view path, int timeout_ms);
// GET path from 127.0.0.1:port.
HttpAnswer http_get_loopback(uint16_t port, std::string_view path, int timeout_ms);

}  // namespace hvym
