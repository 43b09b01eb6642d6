#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "process.h"

namespace hvym {
namespace {

bool wait_for(int fd, short events, long long deadline) {
  while (true) {
    long long left = deadline - now_ms();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

HttpAnswer fail(HttpAnswer::State s, std::string detail) {
  HttpAnswer a;
  a.state = s;
  a.detail = std::move(detail);
  return a;
}

HttpAnswer exchange(int fd, const sockaddr* addr, socklen_t len, std::string_view host,
                    std::string_view path, int timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  if (connect(fd, addr, len) != 0) {
    if (errno == ENOENT) return fail(HttpAnswer::Absent, "no socket");
    if (errno == ECONNREFUSED) return fail(HttpAnswer::Refused, "connection refused");
    if (errno == EACCES || errno == EPERM) return fail(HttpAnswer::Denied, "permission denied");
    if (errno != EINPROGRESS && errno != EAGAIN) return fail(HttpAnswer::Failed, std::strerror(errno));
    if (!wait_for(fd, POLLOUT, deadline)) return fail(HttpAnswer::TimedOut, "no connection in time");
    int err = 0;
    socklen_t elen = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
    if (err == ECONNREFUSED) return fail(HttpAnswer::Refused, "connection refused");
    if (err) return fail(HttpAnswer::Failed, std::strerror(err));
  }
  std::string request = "GET ";
  request.append(path).append(" HTTP/1.1\r\nHost: ").append(host).append(
      "\r\nUser-Agent: hvym\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_for(fd, POLLOUT, deadline)) return fail(HttpAnswer::TimedOut, "no answer in time");
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return fail(HttpAnswer::Failed, std::strerror(errno));
    sent += static_cast<size_t>(n);
  }
  // Only the status line matters: "HTTP/1.x NNN ...".
  std::string head;
  while (head.find('\n') == std::string::npos && head.size() < 256) {
    if (!wait_for(fd, POLLIN, deadline)) return fail(HttpAnswer::TimedOut, "no answer in time");
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0 || head[8] != ' ')
    return fail(HttpAnswer::Failed, "not an HTTP answer");
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (head[i] < '0' || head[i] > '9') return fail(HttpAnswer::Failed, "not an HTTP answer");
    status = status * 10 + (head[i] - '0');
  }
  HttpAnswer a;
  a.state = HttpAnswer::Answered;
  a.status = status;
  return a;
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

HttpAnswer http_get_unix(const std::string& socket_path, std::string_view path, int timeout_ms) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) return fail(HttpAnswer::Failed, "socket path too long");
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  Fd s{socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return fail(HttpAnswer::Failed, std::strerror(errno));
  return exchange(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr, "docker", path, timeout_ms);
}

HttpAnswer http_get_loopback(uint16_t port, std::string_view path, int timeout_ms) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Fd s{socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return fail(HttpAnswer::Failed, std::strerror(errno));
  std::string host = "127.0.0.1:" + std::to_string(port);
  return exchange(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr, host, path, timeout_ms);
}

}  // namespace hvym
