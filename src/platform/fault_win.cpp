// The fault guard (fault.h) on Windows: a vectored exception handler turns
// an access violation or an in-page error (a mapped file cut short) in an
// armed call into a jump back to the call's guard point. The handler does
// not jump itself: it resumes the faulting thread in resume(), outside
// the exception dispatcher, which then jumps. LMDB's assertion hook jumps
// back the same way (damaged()).
// The deadline is a timer-queue timer set for one wait (wait_begin) and
// deleted when the wait ends: a thread stuck in LMDB (waiting for another
// process's write lock) cannot be jumped out of a kernel wait, so when it
// fires during the wait the process says so and ends with exit 1, as the
// deadline ends a wait on POSIX (an LMDB writer ended while it waits has
// written nothing). Once the wait has ended it does nothing: a writer that
// went on to commit is never ended by it. One per process: batch and
// serve, which guard on several threads, use none (per_thread() is false).
#include "platform/fault.h"

#include <windows.h>

#include <cstdio>
#include <cstring>

namespace hvym::fault {

__thread void* g_jump[5];
__thread volatile int g_armed = 0;

namespace {

bool g_installed = false;
__thread bool g_damaged = false;  // the last jump came from damaged()
__thread char g_damage[240];

[[noreturn]] void resume() { __builtin_longjmp(g_jump, 1); }

LONG CALLBACK on_exception(EXCEPTION_POINTERS* e) {
  DWORD code = e->ExceptionRecord->ExceptionCode;
  if (!g_armed || (code != EXCEPTION_ACCESS_VIOLATION && code != EXCEPTION_IN_PAGE_ERROR))
    return EXCEPTION_CONTINUE_SEARCH;
  g_armed = 0;
  g_damaged = false;
  CONTEXT* c = e->ContextRecord;
#if defined(_M_X64) || defined(__x86_64__)
  c->Rsp = (c->Rsp & ~DWORD64{15}) - 8;  // as if resume() had been called
  c->Rip = reinterpret_cast<DWORD64>(&resume);
#elif defined(_M_ARM64) || defined(__aarch64__)
  c->Sp &= ~DWORD64{15};
  c->Pc = reinterpret_cast<DWORD64>(&resume);
#endif
  return EXCEPTION_CONTINUE_EXECUTION;
}

// The wait the timer guards: the callback ends the process only while the
// wait has not ended (wait_end() takes the same lock).
SRWLOCK g_wait_lock = SRWLOCK_INIT;
bool g_waiting = false;
HANDLE g_timer = nullptr;

VOID CALLBACK on_deadline(PVOID seconds, BOOLEAN) {
  AcquireSRWLockExclusive(&g_wait_lock);
  if (!g_waiting) {
    ReleaseSRWLockExclusive(&g_wait_lock);
    return;
  }
  char text[160];
  int n = std::snprintf(text, sizeof text,
                        "Error: no answer from the store within %u s (another process holding it?)\r\n",
                        static_cast<unsigned>(reinterpret_cast<uintptr_t>(seconds)));
  DWORD wrote = 0;
  WriteFile(GetStdHandle(STD_ERROR_HANDLE), text, static_cast<DWORD>(n), &wrote, nullptr);
  TerminateProcess(GetCurrentProcess(), 1);  // with the lock held: the wait never ends now
}

}  // namespace

void install() {
  if (g_installed) return;
  AddVectoredExceptionHandler(1, on_exception);
  g_installed = true;
}

Why why() { return g_damaged ? Why::Damaged : Why::Fault; }

const char* damage() { return g_damaged ? g_damage : ""; }

bool per_thread() { return false; }

void wait_begin(unsigned seconds) {
  if (!seconds || g_timer) return;
  AcquireSRWLockExclusive(&g_wait_lock);
  g_waiting = true;
  ReleaseSRWLockExclusive(&g_wait_lock);
  if (!CreateTimerQueueTimer(&g_timer, nullptr, on_deadline, reinterpret_cast<PVOID>(uintptr_t{seconds}),
                             seconds * 1000, 0, WT_EXECUTEONLYONCE))
    g_timer = nullptr;
}

void wait_end() {
  AcquireSRWLockExclusive(&g_wait_lock);
  g_waiting = false;
  ReleaseSRWLockExclusive(&g_wait_lock);
  if (g_timer) {
    DeleteTimerQueueTimer(nullptr, g_timer, nullptr);  // a callback under way finds the wait over
    g_timer = nullptr;
  }
}

long long read_at(int, void*, unsigned long, unsigned long long) { return -1; }  // LMDB hands out a HANDLE here

long long read_at(void* handle, void* buf, unsigned long n, unsigned long long at) {
  OVERLAPPED ov{};
  ov.Offset = static_cast<DWORD>(at);
  ov.OffsetHigh = static_cast<DWORD>(at >> 32);
  DWORD got = 0;
  if (ReadFile(static_cast<HANDLE>(handle), buf, n > 0x40000000 ? 0x40000000 : static_cast<DWORD>(n), &got, &ov))
    return got;
  return GetLastError() == ERROR_HANDLE_EOF ? 0 : -1;
}

void damaged(const char* what) {
  if (!g_armed) return;
  size_t n = std::strlen(what);
  if (n >= sizeof g_damage) n = sizeof g_damage - 1;
  std::memcpy(g_damage, what, n);
  g_damage[n] = '\0';
  g_damaged = true;
  g_armed = 0;
  __builtin_longjmp(g_jump, 1);
}

}  // namespace hvym::fault
