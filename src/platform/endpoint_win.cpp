// serve's endpoint (endpoint.h) on Windows: a named pipe in byte mode, its
// instances made one at a time as clients come, opened for overlapped I/O
// so every wait also watches the stop event. The pipe's DACL lets only this
// user (and SYSTEM) open it; remote clients are rejected. The first instance
// is made with FILE_FLAG_FIRST_PIPE_INSTANCE: when the name exists already
// (a server runs, or another process holds the name), serve refuses.
#include "platform/endpoint.h"

#include <windows.h>
#include <sddl.h>

#include <cstdlib>
#include <string>

#include "platform/win_text.h"
#include "platform/process.h"
#include "platform/files.h"

namespace hvym::endpoint {
namespace {

constexpr DWORD kBufferBytes = 65536;
constexpr DWORD kSendTimeoutMs = 10000;
constexpr std::string_view kPipePrefix = "\\\\.\\pipe\\";

HANDLE handle(intptr_t h) { return reinterpret_cast<HANDLE>(h); }

// This user's SID as text ("S-1-5-21-..."); "" when it cannot be read.
std::wstring user_sid() {
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return {};
  DWORD size = 0;
  GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::string buf(size ? size : 1, '\0');
  std::wstring text;
  if (size && GetTokenInformation(token, TokenUser, buf.data(), size, &size)) {
    wchar_t* s = nullptr;
    if (ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER*>(buf.data())->User.Sid, &s)) {
      text = s;
      LocalFree(s);
    }
  }
  CloseHandle(token);
  return text;
}

// An instance of the pipe, overlapped; INVALID_HANDLE_VALUE with the error.
HANDLE make_instance(const std::wstring& name, bool first, DWORD& error) {
  std::wstring sid = user_sid();
  std::wstring sddl = L"D:P(A;;GA;;;SY)";  // protected: nothing inherited
  sddl += sid.empty() ? L"(A;;GA;;;OW)" : L"(A;;GA;;;" + sid + L")";
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, FALSE};
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &sd, nullptr))
    sa.lpSecurityDescriptor = sd;
  DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
  HANDLE h = CreateNamedPipeW(name.c_str(), open_mode, PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                              PIPE_UNLIMITED_INSTANCES, kBufferBytes, kBufferBytes, 0, &sa);
  error = h == INVALID_HANDLE_VALUE ? GetLastError() : 0;
  if (sd) LocalFree(sd);
  return h;
}

// Waits for an overlapped operation on h, or the stop: the bytes it moved,
// -1 when it failed, -2 when stop came first or ms passed (it is then
// cancelled).
long long finish(HANDLE h, OVERLAPPED& ov, HANDLE stop, DWORD ms) {
  HANDLE waits[2] = {ov.hEvent, stop};
  DWORD got = WaitForMultipleObjects(stop ? 2 : 1, waits, FALSE, ms);
  DWORD n = 0;
  if (got != WAIT_OBJECT_0) {
    CancelIoEx(h, &ov);
    GetOverlappedResult(h, &ov, &n, TRUE);
    return got == WAIT_TIMEOUT ? -3 : -2;
  }
  if (!GetOverlappedResult(h, &ov, &n, FALSE)) return -1;
  return n;
}

Stop* g_stop = nullptr;
BOOL WINAPI on_control(DWORD) {
  if (g_stop) g_stop->set();
  return TRUE;  // handled: serve ends itself, answering what it has read
}

}  // namespace

Stop::~Stop() {
  close_fd(fds_[0]);
  close_fd(fds_[1]);
  if (event_) CloseHandle(handle(event_));
}
bool Stop::make() {
  HANDLE e = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (!e) return false;
  event_ = reinterpret_cast<intptr_t>(e);
  return make_pipe(fds_);
}
void Stop::set() {
  SetEvent(handle(event_));
  poke_fd(fds_[1]);  // batch's children watch the fd
}
bool Stop::is_set() const { return WaitForSingleObject(handle(event_), 0) == WAIT_OBJECT_0; }

void stop_on_request(Stop& stop) {
  g_stop = &stop;
  SetConsoleCtrlHandler(on_control, TRUE);
}

std::string default_address(const std::string& data_dir) {
  wchar_t user[257];
  DWORD n = 257;
  std::string who = GetUserNameW(user, &n) && n > 1 ? narrow({user, n - 1}) : std::string("user");
  for (char& c : who)
    if (c == '\\' || c == '/' || c == ' ') c = '_';
  std::string name = std::string(kPipePrefix) + "hvym-" + who;
  if (const char* home = std::getenv("HVYM_HOME"); home && *home) name += "-" + short_hash(data_dir);  // one per data folder
  return name;
}

std::string full_address(std::string_view given, std::string& error) {
  std::string s(given);
  for (char& c : s)
    if (c == '/') c = '\\';
  if (s.size() > kPipePrefix.size() && s.compare(0, kPipePrefix.size(), kPipePrefix) == 0)
    s.erase(0, kPipePrefix.size());
  if (s.empty() || s.size() > 200 || s.find('\\') != std::string::npos)
    return error = "not a pipe name (give NAME or \\\\.\\pipe\\NAME)", std::string();
  return std::string(kPipePrefix) + s;
}

bool prepare_folder(const std::string&, std::string&) { return true; }  // a pipe has none

Connection::~Connection() {
  HANDLE h = handle(h_);
  FlushFileBuffers(h);  // the last answer reaches the client before the pipe goes
  DisconnectNamedPipe(h);
  CloseHandle(h);
}

long long Connection::receive(char* buf, size_t n, const Stop& stop, int, int timeout_ms) {
  HANDLE h = handle(h_);
  OVERLAPPED ov{};
  ov.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (!ov.hEvent) return -1;
  DWORD got = 0;
  long long result;
  DWORD want = n > kBufferBytes ? kBufferBytes : static_cast<DWORD>(n);
  if (ReadFile(h, buf, want, &got, &ov)) {
    result = got;
  } else {
    DWORD e = GetLastError();
    if (e == ERROR_IO_PENDING) {
      result = finish(h, ov, handle(stop.native()), timeout_ms < 0 ? INFINITE : static_cast<DWORD>(timeout_ms));
      if (result == -1) e = GetLastError();
    } else {
      result = -1;
    }
    if (result == -1) result = (e == ERROR_BROKEN_PIPE || e == ERROR_PIPE_NOT_CONNECTED) ? 0 : -1;
  }
  CloseHandle(ov.hEvent);
  return result;
}

void Connection::interrupt() { CancelIoEx(handle(h_), nullptr); }

bool Connection::send(std::string_view data) {
  HANDLE h = handle(h_);
  OVERLAPPED ov{};
  ov.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (!ov.hEvent) return false;
  bool ok = true;
  while (ok && !data.empty()) {
    DWORD chunk = data.size() > kBufferBytes ? kBufferBytes : static_cast<DWORD>(data.size());
    DWORD wrote = 0;
    ResetEvent(ov.hEvent);
    long long n;
    if (WriteFile(h, data.data(), chunk, &wrote, &ov)) n = wrote;
    else if (GetLastError() == ERROR_IO_PENDING) n = finish(h, ov, nullptr, kSendTimeoutMs);
    else n = -1;
    if (n <= 0) ok = false;
    else data.remove_prefix(static_cast<size_t>(n));
  }
  CloseHandle(ov.hEvent);
  return ok;
}

Listener::~Listener() { close(); }

bool Listener::open(const std::string& address, std::string& error) {
  const std::string taken = "a server already answers on " + address + " (or another program holds that name).";
  // Something answers there already (wine does not refuse a second first
  // instance, so look before making one).
  HANDLE probe = CreateFileW(wide(address).c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr);
  if (probe != INVALID_HANDLE_VALUE) CloseHandle(probe);
  if (probe != INVALID_HANDLE_VALUE || GetLastError() == ERROR_PIPE_BUSY) return error = taken, false;
  DWORD e = 0;
  HANDLE h = make_instance(wide(address), true, e);
  if (h == INVALID_HANDLE_VALUE) {
    if (e == ERROR_ACCESS_DENIED || e == ERROR_PIPE_BUSY) return error = taken, false;
    return error = "cannot listen on " + address + ": " + win_error(e), false;
  }
  HANDLE ev = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (!ev) {
    CloseHandle(h);
    return error = "cannot make an event", false;
  }
  pending_ = reinterpret_cast<intptr_t>(h);
  event_ = reinterpret_cast<intptr_t>(ev);
  connect_ = new OVERLAPPED{};
  address_ = address;
  h_ = 0;  // listening: instances are made as clients come
  return true;
}

Connection* Listener::accept(int ms, const Stop& stop) {
  if (h_ < 0) return nullptr;
  if (pending_ == -1) {
    DWORD e = 0;
    HANDLE h = make_instance(wide(address_), false, e);
    if (h == INVALID_HANDLE_VALUE) {
      sleep_ms(ms < 0 || ms > 100 ? 100 : ms);
      return nullptr;
    }
    pending_ = reinterpret_cast<intptr_t>(h);
    waiting_ = false;
  }
  HANDLE h = handle(pending_);
  OVERLAPPED& ov = *static_cast<OVERLAPPED*>(connect_);
  if (!waiting_) {
    ov = OVERLAPPED{};
    ov.hEvent = handle(event_);
    ResetEvent(ov.hEvent);
    bool now = ConnectNamedPipe(h, &ov) != 0;
    DWORD e = now ? 0 : GetLastError();
    if (now || e == ERROR_PIPE_CONNECTED) {  // came between create and connect: no I/O to wait for
      pending_ = -1;
      return new Connection(reinterpret_cast<intptr_t>(h));
    }
    if (e != ERROR_IO_PENDING) {  // it left already: a fresh instance next time
      CloseHandle(h);
      pending_ = -1;
      return nullptr;
    }
    waiting_ = true;
  }
  HANDLE waits[2] = {ov.hEvent, handle(stop.native())};
  DWORD got = WaitForMultipleObjects(2, waits, FALSE, ms < 0 ? INFINITE : static_cast<DWORD>(ms));
  if (got != WAIT_OBJECT_0) return nullptr;  // still waiting: the same connect goes on next time
  waiting_ = false;
  DWORD ignored = 0;
  pending_ = -1;
  if (!GetOverlappedResult(h, &ov, &ignored, TRUE) && GetLastError() != ERROR_PIPE_CONNECTED) {
    CloseHandle(h);
    return nullptr;
  }
  return new Connection(reinterpret_cast<intptr_t>(h));
}

void Listener::close() {
  if (h_ < 0) return;
  if (pending_ != -1) {
    HANDLE h = handle(pending_);
    CancelIoEx(h, nullptr);
    CloseHandle(h);
    pending_ = -1;
  }
  if (event_) CloseHandle(handle(event_));
  event_ = 0;
  delete static_cast<OVERLAPPED*>(connect_);
  connect_ = nullptr;
  h_ = -1;
}

}  // namespace hvym::endpoint
