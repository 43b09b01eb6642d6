// The fault guard (fault.h) on Windows: a vectored exception handler turns
// an access violation or an in-page error (a mapped file cut short) in an
// armed call into a jump back to the call's guard point. The handler does
// not jump itself: it resumes the faulting thread in resume(), outside
// the exception dispatcher, which then jumps. No deadline on Windows.
#include "platform/fault.h"

#include <windows.h>

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

}  // namespace

void install(bool) {
  if (g_installed) return;
  AddVectoredExceptionHandler(1, on_exception);
  g_installed = true;
}

Why why() { return Why::Fault; }

void deadline(unsigned) {}

}  // namespace hvym::fault
