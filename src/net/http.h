// A small HTTP/1.1 client for local peers: the Docker Engine API on its unix
// socket, the Pinggy web debugger on loopback. One request per connection
// (Connection: close); bounded waits, so a silent peer never hangs hvym.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace hvym {

struct HttpRequest {
  std::string_view method = "GET";
  std::string_view path;
  std::string_view body;     // sent as application/json when not empty
  bool status_only = false;  // stop after the status line (probes)
  int timeout_ms = 1000;     // to connect and receive the status line and headers
  int idle_ms = 0;           // longest silence inside the body (0: timeout_ms)
  int total_ms = 0;          // the whole exchange, however the peer trickles (0: twice timeout_ms)
  size_t max_body = size_t{8} << 20;  // a longer body (not streamed) is refused
  // Receives the body as it arrives (chunked transfer decoded) instead of
  // HttpAnswer::body; return false to stop reading.
  std::function<bool(std::string_view)> on_body;
};

struct HttpAnswer {
  enum State { Answered, Absent, Refused, Denied, TimedOut, Failed } state = Failed;
  int status = 0;      // when Answered
  std::string body;    // when Answered, unless streamed or status_only
  std::string detail;  // what went wrong otherwise
};

HttpAnswer http_unix(const std::string& socket_path, const HttpRequest& request);
HttpAnswer http_loopback(uint16_t port, const HttpRequest& request);
// Over a Windows named pipe (\\.\pipe\NAME: Docker Desktop's engine).
HttpAnswer http_pipe(const std::string& pipe_name, const HttpRequest& request);

// A GET that wants only the status line, within timeout_ms (the probes).
inline HttpRequest status_probe(std::string_view path, int timeout_ms) {
  HttpRequest r;
  r.path = path;
  r.status_only = true;
  r.timeout_ms = timeout_ms;
  return r;
}
inline HttpAnswer http_get_unix(const std::string& socket_path, std::string_view path, int timeout_ms) {
  return http_unix(socket_path, status_probe(path, timeout_ms));
}
inline HttpAnswer http_get_loopback(uint16_t port, std::string_view path, int timeout_ms) {
  return http_loopback(port, status_probe(path, timeout_ms));
}

// The Docker Engine API where DockerEndpoint::socket says: a named pipe
// (\\.\pipe\NAME) or a unix socket.
inline HttpAnswer http_engine(const std::string& where, const HttpRequest& request) {
  return where.rfind("\\\\.\\pipe\\", 0) == 0 ? http_pipe(where, request) : http_unix(where, request);
}

// Percent-encodes a query value.
std::string url_encode(std::string_view s);

}  // namespace hvym
