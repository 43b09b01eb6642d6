// The terminal (term.h) on Windows: the console's control handler for
// Ctrl-C, the console mode for echo, and waits on the standard input handle
// (a console, or a pipe polled with PeekNamedPipe).
#include "platform/term.h"

#include <io.h>
#include <windows.h>

#include <atomic>

namespace hvym::term {
namespace {

std::atomic<bool> g_interrupted{false};

BOOL WINAPI on_control(DWORD type) {
  if (type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT) {
    g_interrupted = true;
    return TRUE;
  }
  return FALSE;
}

HANDLE input() { return GetStdHandle(STD_INPUT_HANDLE); }

}  // namespace

InterruptScope::InterruptScope() {
  g_interrupted = false;
  SetConsoleCtrlHandler(on_control, TRUE);
}

InterruptScope::~InterruptScope() { SetConsoleCtrlHandler(on_control, FALSE); }

bool interrupted() { return g_interrupted; }

NoEcho::NoEcho() {
  DWORD mode;
  if (!GetConsoleMode(input(), &mode)) return;
  *reinterpret_cast<DWORD*>(saved_) = mode;
  on_ = SetConsoleMode(input(), mode & ~static_cast<DWORD>(ENABLE_ECHO_INPUT)) != 0;
}

NoEcho::~NoEcho() {
  if (on_) SetConsoleMode(input(), *reinterpret_cast<DWORD*>(saved_));
}

int read_byte(char& c, int ms) {
  HANDLE h = input();
  DWORD mode;
  if (GetConsoleMode(h, &mode)) {
    // A console: wait for input; ReadFile returns whole lines (cooked mode).
    if (WaitForSingleObject(h, static_cast<DWORD>(ms)) != WAIT_OBJECT_0) return -2;
  } else if (GetFileType(h) == FILE_TYPE_PIPE) {
    DWORD avail = 0;
    if (!PeekNamedPipe(h, nullptr, 0, nullptr, &avail, nullptr)) return GetLastError() == ERROR_BROKEN_PIPE ? 0 : -1;
    if (avail == 0) {
      Sleep(static_cast<DWORD>(ms < 10 ? ms : 10));
      return -2;
    }
  }
  int n = _read(0, &c, 1);
  if (n < 0) return -1;
  if (n == 1 && c == 0x1a) return 0;  // Ctrl-Z: the end of console input
  return n == 0 ? 0 : 1;
}

bool input_is_pipe() { return GetFileType(input()) == FILE_TYPE_PIPE; }

int drain_input(int ms) {
  DWORD avail = 0;
  if (!PeekNamedPipe(input(), nullptr, 0, nullptr, &avail, nullptr))
    return GetLastError() == ERROR_BROKEN_PIPE ? 0 : -1;
  if (avail == 0) {
    Sleep(static_cast<DWORD>(ms));
    return -2;
  }
  char buf[4096];
  return _read(0, buf, avail < sizeof buf ? avail : sizeof buf) > 0 ? 1 : 0;
}

void pause_ms(int ms) { Sleep(static_cast<DWORD>(ms)); }

}  // namespace hvym::term
