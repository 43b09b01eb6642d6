// The fault guard (fault.h) on Windows: a vectored exception handler turns
// an access violation or an in-page error (a mapped file cut short) in an
// armed call into a jump back to the call's guard point. The handler does
// not jump itself: it resumes the faulting thread in resume(), outside
// the exception dispatcher, which then jumps. The deadline is a timer-queue
// timer: a thread stuck in LMDB (waiting for another process's write lock)
// cannot be jumped out of a kernel wait, so when it fires the process says
// so and ends with exit 1, as SIGALRM ends an unguarded wait on POSIX (an
// LMDB writer ended mid-transaction loses only that transaction).
#include "platform/fault.h"

#include <windows.h>

#include <cstdio>

namespace hvym::fault {

__thread void* g_jump[5];
__thread volatile int g_armed = 0;

namespace {

bool g_installed = false;

[[noreturn]] void resume() { __builtin_longjmp(g_jump, 1); }

LONG CALLBACK on_exception(EXCEPTION_POINTERS* e) {
  DWORD code = e->ExceptionRecord->ExceptionCode;
  if (!g_armed || (code != EXCEPTION_ACCESS_VIOLATION && code != EXCEPTION_IN_PAGE_ERROR))
    return EXCEPTION_CONTINUE_SEARCH;
  g_armed = 0;
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

VOID CALLBACK on_deadline(PVOID seconds, BOOLEAN) {
  char text[160];
  int n = std::snprintf(text, sizeof text,
                        "Error: no answer from the store within %u s (another process holding it?)\r\n",
                        static_cast<unsigned>(reinterpret_cast<uintptr_t>(seconds)));
  DWORD wrote = 0;
  WriteFile(GetStdHandle(STD_ERROR_HANDLE), text, static_cast<DWORD>(n), &wrote, nullptr);
  TerminateProcess(GetCurrentProcess(), 1);
}

HANDLE g_timer = nullptr;

}  // namespace

void install(bool) {
  if (g_installed) return;
  AddVectoredExceptionHandler(1, on_exception);
  g_installed = true;
}

Why why() { return Why::Fault; }

void deadline(unsigned seconds) {
  if (g_timer) {
    DeleteTimerQueueTimer(nullptr, g_timer, nullptr);  // does not wait for a callback under way
    g_timer = nullptr;
  }
  if (seconds)
    CreateTimerQueueTimer(&g_timer, nullptr, on_deadline, reinterpret_cast<PVOID>(uintptr_t{seconds}),
                          seconds * 1000, 0, WT_EXECUTEONLYONCE);
}

}  // namespace hvym::fault
