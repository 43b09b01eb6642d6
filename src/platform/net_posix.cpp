// Stream connections (net.h) on Linux and macOS: non-blocking sockets and
// poll() for every wait.
#include "platform/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/process.h"

namespace hvym::net {
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

// A non-blocking socket not inherited by children.
int new_socket(int family) {
#ifdef SOCK_NONBLOCK
  return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
  int fd = socket(family, SOCK_STREAM, 0);
  if (fd >= 0) {
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
#ifdef SO_NOSIGPIPE
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  }
  return fd;
#endif
}

Result finish_connect(int fd, const sockaddr* addr, socklen_t len, long long deadline, std::string& detail) {
  if (connect(fd, addr, len) == 0) return Result::Ok;
  if (errno == ENOENT) return detail = "no socket", Result::Absent;
  if (errno == ECONNREFUSED) return detail = "connection refused", Result::Refused;
  if (errno == EACCES || errno == EPERM) return detail = "permission denied", Result::Denied;
  if (errno != EINPROGRESS && errno != EAGAIN) return detail = std::strerror(errno), Result::Failed;
  if (!wait_for(fd, POLLOUT, deadline)) return detail = "no connection in time", Result::TimedOut;
  int err = 0;
  socklen_t elen = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
  if (err == ECONNREFUSED) return detail = "connection refused", Result::Refused;
  if (err) return detail = std::strerror(err), Result::Failed;
  return Result::Ok;
}

}  // namespace

Stream::~Stream() {
  if (h_ >= 0) close(static_cast<int>(h_));
}

Result Stream::connect_unix(const std::string& path, long long deadline, std::string& detail) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return detail = "socket path too long", Result::Failed;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = new_socket(AF_UNIX);
  if (fd < 0) return detail = std::strerror(errno), Result::Failed;
  h_ = fd;
  return finish_connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr, deadline, detail);
}

Result Stream::connect_loopback(uint16_t port, long long deadline, std::string& detail) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = new_socket(AF_INET);
  if (fd < 0) return detail = std::strerror(errno), Result::Failed;
  h_ = fd;
  return finish_connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr, deadline, detail);
}

Result Stream::connect_pipe(const std::string&, long long, std::string& detail) {
  detail = "named pipes (npipe://) exist on Windows only";
  return Result::Failed;
}

bool Stream::send_all(std::string_view data, long long deadline, Result& why, std::string& detail) {
  int fd = static_cast<int>(h_);
#ifdef MSG_NOSIGNAL
  const int flags = MSG_NOSIGNAL;
#else
  const int flags = 0;  // SO_NOSIGPIPE is set on the socket
#endif
  while (!data.empty()) {
    if (!wait_for(fd, POLLOUT, deadline)) return why = Result::TimedOut, detail = "no answer in time", false;
    ssize_t n = send(fd, data.data(), data.size(), flags);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return why = Result::Failed, detail = std::strerror(errno), false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

long long Stream::receive(char* buf, size_t n, long long deadline) {
  int fd = static_cast<int>(h_);
  while (true) {
    if (!wait_for(fd, POLLIN, deadline)) return -2;
    ssize_t got = recv(fd, buf, n, 0);
    if (got >= 0) return got;
    if (errno != EINTR && errno != EAGAIN) return -1;
  }
}

}  // namespace hvym::net
