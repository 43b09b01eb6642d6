// Stream connections (net.h) on Windows: Winsock for loopback TCP and
// AF_UNIX (Windows 10 1803 and later), non-blocking with WSAPoll; named
// pipes opened for overlapped I/O, each wait bounded by the deadline.
// Winsock starts at the first connection, never at hvym's start.
#include "platform/net.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <afunix.h>
#include <windows.h>

#include <cstring>
#include <mutex>

#include "platform/win_text.h"
#include "platform/process.h"

namespace hvym::net {
namespace {

bool winsock_ready() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    WSADATA data;
    ok = WSAStartup(MAKEWORD(2, 2), &data) == 0;
  });
  return ok;
}

int left_ms(long long deadline) {
  long long left = deadline - now_ms();
  return left <= 0 ? 0 : static_cast<int>(left);
}

bool wait_socket(SOCKET s, short events, long long deadline) {
  while (true) {
    int left = left_ms(deadline);
    if (left <= 0) return false;
    WSAPOLLFD p{s, events, 0};
    int n = WSAPoll(&p, 1, left);
    if (n > 0) return true;
    if (n < 0) return false;
  }
}

Result socket_connect(intptr_t& h, int family, const sockaddr* addr, int len, long long deadline,
                      std::string& detail) {
  if (!winsock_ready()) return detail = "Winsock did not start", Result::Failed;
  SOCKET s = socket(family, SOCK_STREAM, 0);
  if (s == INVALID_SOCKET) return detail = win_error(WSAGetLastError()), Result::Failed;
  h = static_cast<intptr_t>(s);
  SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0);
  u_long nonblocking = 1;
  ioctlsocket(s, FIONBIO, &nonblocking);
  if (connect(s, addr, len) == 0) return Result::Ok;
  int e = WSAGetLastError();
  if (e == WSAECONNREFUSED) return detail = "connection refused", Result::Refused;
  if (e == WSAEACCES) return detail = "permission denied", Result::Denied;
  if (e == WSAENETUNREACH) return detail = "no socket", Result::Absent;
  if (e != WSAEWOULDBLOCK && e != WSAEINPROGRESS) return detail = win_error(e), Result::Failed;
  if (!wait_socket(s, POLLWRNORM, deadline)) return detail = "no connection in time", Result::TimedOut;
  int err = 0;
  int elen = sizeof err;
  getsockopt(s, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&err), &elen);
  if (err == WSAECONNREFUSED) return detail = "connection refused", Result::Refused;
  if (err) return detail = win_error(err), Result::Failed;
  return Result::Ok;
}

// One overlapped read or write on a pipe, within the deadline.
long long pipe_io(HANDLE h, bool write, void* buf, DWORD n, long long deadline) {
  OVERLAPPED ov{};
  ov.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  DWORD done = 0;
  BOOL ok = write ? WriteFile(h, buf, n, &done, &ov) : ReadFile(h, buf, n, &done, &ov);
  long long result;
  if (ok) {
    result = done;
  } else if (GetLastError() == ERROR_IO_PENDING) {
    DWORD w = WaitForSingleObject(ov.hEvent, static_cast<DWORD>(left_ms(deadline)));
    if (w != WAIT_OBJECT_0) {
      CancelIoEx(h, &ov);
      GetOverlappedResult(h, &ov, &done, TRUE);
      result = -2;
    } else if (GetOverlappedResult(h, &ov, &done, FALSE)) {
      result = done;
    } else {
      result = GetLastError() == ERROR_BROKEN_PIPE ? 0 : -1;
    }
  } else {
    result = GetLastError() == ERROR_BROKEN_PIPE ? 0 : -1;
  }
  CloseHandle(ov.hEvent);
  return result;
}

}  // namespace

Stream::~Stream() {
  if (h_ == -1) return;
  if (pipe_) CloseHandle(reinterpret_cast<HANDLE>(h_));
  else closesocket(static_cast<SOCKET>(h_));
}

Result Stream::connect_unix(const std::string& path, long long deadline, std::string& detail) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return detail = "socket path too long", Result::Failed;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (GetFileAttributesW(wide(path).c_str()) == INVALID_FILE_ATTRIBUTES) return detail = "no socket", Result::Absent;
  return socket_connect(h_, AF_UNIX, reinterpret_cast<sockaddr*>(&addr), sizeof addr, deadline, detail);
}

Result Stream::connect_loopback(uint16_t port, long long deadline, std::string& detail) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return socket_connect(h_, AF_INET, reinterpret_cast<sockaddr*>(&addr), sizeof addr, deadline, detail);
}

Result Stream::connect_pipe(const std::string& name, long long deadline, std::string& detail) {
  std::wstring w = wide(name);
  while (true) {
    HANDLE h = CreateFileW(w.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                           FILE_FLAG_OVERLAPPED, nullptr);
    if (h != INVALID_HANDLE_VALUE) {
      h_ = reinterpret_cast<intptr_t>(h);
      pipe_ = true;
      return Result::Ok;
    }
    DWORD e = GetLastError();
    if (e == ERROR_FILE_NOT_FOUND) return detail = "no pipe", Result::Absent;
    if (e == ERROR_ACCESS_DENIED) return detail = "permission denied", Result::Denied;
    if (e != ERROR_PIPE_BUSY) return detail = win_error(e), Result::Failed;
    int left = left_ms(deadline);  // every instance busy: wait for one, within the deadline
    if (left <= 0 || !WaitNamedPipeW(w.c_str(), static_cast<DWORD>(left)))
      return detail = "no connection in time", Result::TimedOut;
  }
}

bool Stream::send_all(std::string_view data, long long deadline, Result& why, std::string& detail) {
  while (!data.empty()) {
    long long n;
    if (pipe_) {
      n = pipe_io(reinterpret_cast<HANDLE>(h_), true, const_cast<char*>(data.data()),
                  static_cast<DWORD>(std::min<size_t>(data.size(), 1 << 20)), deadline);
    } else {
      SOCKET s = static_cast<SOCKET>(h_);
      if (!wait_socket(s, POLLWRNORM, deadline)) n = -2;
      else {
        n = send(s, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 20)), 0);
        if (n < 0 && WSAGetLastError() == WSAEWOULDBLOCK) continue;
      }
    }
    if (n == -2) return why = Result::TimedOut, detail = "no answer in time", false;
    if (n <= 0) return why = Result::Failed, detail = "the connection broke", false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

long long Stream::receive(char* buf, size_t n, long long deadline) {
  DWORD want = static_cast<DWORD>(std::min<size_t>(n, 1 << 20));
  if (pipe_) return pipe_io(reinterpret_cast<HANDLE>(h_), false, buf, want, deadline);
  SOCKET s = static_cast<SOCKET>(h_);
  while (true) {
    if (!wait_socket(s, POLLRDNORM, deadline)) return -2;
    int got = recv(s, buf, static_cast<int>(want), 0);
    if (got >= 0) return got;
    if (WSAGetLastError() != WSAEWOULDBLOCK) return -1;
  }
}

}  // namespace hvym::net
