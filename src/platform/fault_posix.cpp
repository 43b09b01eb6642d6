// The fault guard (fault.h) on Linux and macOS: SIGSEGV and SIGBUS, and
// SIGALRM for the deadline, jump back to the guarded call's sigsetjmp.
#include "platform/fault.h"

#include <signal.h>
#include <unistd.h>

#include <csignal>

namespace hvym::fault {

__thread sigjmp_buf g_jump;
__thread volatile int g_armed = 0;

namespace {

__thread volatile sig_atomic_t g_why = 0;  // the signal that fired
bool g_installed = false;

void on_fault(int sig) {
  if (!g_armed) {  // not ours: behave as if no handler were installed
    std::signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_armed = 0;
  g_why = sig;
  siglongjmp(g_jump, 1);
}

}  // namespace

// Installed once per process and left in place: unarmed, the handler does
// what the default action would, so there is nothing to restore (and three
// system calls fewer on every query).
void install(bool with_deadline) {
  if (g_installed) return;
  struct sigaction sa {};
  sa.sa_handler = on_fault;
  sa.sa_flags = SA_NODEFER;  // siglongjmp leaves the handler; keep the signal usable
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
  if (with_deadline) sigaction(SIGALRM, &sa, nullptr);
  g_installed = true;
}

Why why() { return g_why == SIGALRM ? Why::Deadline : Why::Fault; }

void deadline(unsigned seconds) { alarm(seconds); }

}  // namespace hvym::fault
