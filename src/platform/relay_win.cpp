// serve's question socket (relay.h) on Windows: serve passes none there
// (its hello answers capabilities.ask false), so there is never one.
#include "platform/relay.h"

#include <cerrno>

namespace hvym::relay {

bool claim(int) { return false; }

bool send_all(int, std::string_view) { return false; }

long long receive(int, char*, size_t) {
  errno = EBADF;
  return -1;
}

}  // namespace hvym::relay
