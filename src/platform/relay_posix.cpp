// serve's question socket (relay.h) on Linux and macOS.
#include "platform/relay.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace hvym::relay {

bool claim(int fd) {
  int type = 0;
  socklen_t len = sizeof type;  // ENOTSOCK for a file or pipe, EBADF for no descriptor
  if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) return false;
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) return false;
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  return true;
}

bool send_all(int fd, std::string_view data) {
#ifdef MSG_NOSIGNAL
  const int flags = MSG_NOSIGNAL;
#else
  const int flags = 0;  // SO_NOSIGPIPE, set by claim()
#endif
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), flags);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

long long receive(int fd, char* buf, size_t n) {
  while (true) {
    ssize_t got = recv(fd, buf, n, 0);
    if (got >= 0 || errno != EINTR) return got;
  }
}

}  // namespace hvym::relay
