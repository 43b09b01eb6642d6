// The socket `hvym serve` may pass a command it runs as a child process, for
// its questions (src/prompt/client.cpp; docs/protocol.md): relay_posix.cpp
// on Linux and macOS; relay_win.cpp on Windows, where serve passes none.
#pragma once
#include <cstddef>
#include <string_view>

namespace hvym::relay {

// Whether fd is an open stream socket. When it is, it is made
// close-on-exec (no program hvym starts inherits it) and, where the
// system needs it, a write to it once the other end is gone fails instead
// of raising SIGPIPE. Windows: false.
bool claim(int fd);
// Writes all of data; false when the other end is gone or the write
// failed (never SIGPIPE on a claimed socket).
bool send_all(int fd, std::string_view data);
// Waits for some bytes and reads up to n of them: >0, 0 at the end of
// the stream (the other end closed it), -1 on an error (errno set).
long long receive(int fd, char* buf, size_t n);

}  // namespace hvym::relay
