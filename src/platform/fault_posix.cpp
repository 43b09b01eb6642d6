// The fault guard (fault.h) on Linux and macOS: SIGSEGV and SIGBUS jump back
// to the guarded call's sigsetjmp, and so does SIGALRM at a wait's deadline.
//
// Linux: a wait gets a POSIX timer of its thread's own (SIGEV_THREAD_ID)
// that ticks every 200 ms while the thread waits and is stopped when the
// wait ends, so the deadline can fire only inside the wait, never after it
// (a stopped writer that went on to commit is never told "no answer"), and
// threads of one process time their own waits. A tick interrupts the
// futex wait inside pthread_mutex_lock, which then looks at the lock word
// again: LMDB's robust mutex is handed over with one FUTEX_WAKE, and a
// waiter killed after it was woken takes that wake-up along while the
// others sleep on a lock that is free (the kernel's FUTEX_OWNER_DIED
// hand-over wakes one waiter too); the next tick ends such a sleep.
// At the deadline the thread leaves the wait only when that abandons no
// lock: glibc's robust list (get_robust_list) says whether it holds a
// mutex or is taking one, and the word of the mutex it is taking says
// whether it already got it (then the wait is over and the call goes on).
// Elsewhere: one alarm() per wait, for a process with one guarding thread.
#include "platform/fault.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

namespace hvym::fault {

__thread sigjmp_buf g_jump;
__thread volatile int g_armed = 0;

namespace {

constexpr int kDamaged = -1;  // g_why after an LMDB assertion
__thread volatile sig_atomic_t g_why = 0;  // the signal that fired, or kDamaged
__thread char g_damage[240];
bool g_installed = false;

// The wait under way on this thread (read by the SIGALRM handler).
__thread volatile sig_atomic_t g_waiting = 0;
__thread bool g_ticking = false;  // this thread's timer (or the alarm) is set
__thread long long g_until_ns = 0;
__thread long long g_last_tick_ns = 0;

long long now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
}

void as_default(int sig) {  // not ours: behave as if no handler were installed
  std::signal(sig, SIG_DFL);
  raise(sig);
}

[[noreturn]] void leave(int why) {
  g_armed = 0;
  g_waiting = 0;
  g_why = why;
  siglongjmp(g_jump, 1);
}

void on_fault(int sig) {
  if (!g_armed) return as_default(sig);
  leave(sig);
}

#ifdef __linux__
constexpr long long kTickNs = 200'000'000;
// A gap between two ticks this long: the process was stopped (or not run),
// not waiting for another process; that time is not counted.
constexpr long long kStoppedNs = 1'000'000'000;

struct ThreadTimer {
  timer_t id{};
  bool made = false;
  ~ThreadTimer() {
    if (made) timer_delete(id);
  }
};
thread_local ThreadTimer t_timer;  // deleted when its thread ends

// Whether leaving now would abandon a robust mutex this thread holds or has
// just taken (its wait is then over), or one that is free (glibc takes it as
// soon as the interrupted futex wait returns). Clears the pending operation
// of a lock wait that is to be abandoned.
bool wait_is_ending() {
  robust_list_head* head = nullptr;
  size_t len = 0;
  if (syscall(SYS_get_robust_list, 0, &head, &len) != 0 || !head) return false;  // no robust futexes (qemu-user)
  auto pending = reinterpret_cast<uintptr_t>(head->list_op_pending) & ~uintptr_t{1};
  if (pending) {
    auto word = *reinterpret_cast<volatile uint32_t*>(pending + head->futex_offset);
    uint32_t owner = word & FUTEX_TID_MASK;
    if (owner == 0 || owner == static_cast<uint32_t>(gettid())) return true;
    head->list_op_pending = nullptr;  // held by another: this attempt is abandoned
    return false;
  }
  return reinterpret_cast<void*>(head->list.next) != static_cast<void*>(head);
}
#endif

void on_alarm(int sig, siginfo_t* info, void*) {
#ifdef __linux__
  // One sent with kill is not the deadline's: what the default action does.
  if (info && (info->si_code == SI_USER || info->si_code == SI_QUEUE || info->si_code == SI_TKILL))
    return as_default(sig);
#else
  (void)info;
#endif
  if (!g_waiting) return;  // a tick already on its way when its wait ended
  long long now = now_ns();
#ifdef __linux__
  if (now - g_last_tick_ns > kStoppedNs) g_until_ns += now - g_last_tick_ns - kTickNs;
  g_last_tick_ns = now;
  if (now < g_until_ns) return;  // a tick: the interrupted wait looks at its lock again
  if (!g_armed || wait_is_ending()) return;
#else
  if (now < g_until_ns || !g_armed) return;
#endif
  leave(sig);
}

}  // namespace

// Installed once per process and left in place: unarmed, the handlers do
// what the default action would, so there is nothing to restore (and
// system calls fewer on every query).
void install() {
  if (g_installed) return;
  struct sigaction sa {};
  sa.sa_handler = on_fault;
  sa.sa_flags = SA_NODEFER;  // siglongjmp leaves the handler; keep the signal usable
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
  struct sigaction tick {};
  tick.sa_sigaction = on_alarm;
  // SA_RESTART: a tick restarts what it interrupted (a futex wait then
  // finds the lock word changed and glibc looks again; LMDB's F_SETLKW loop
  // goes on), so no call in the wait sees EINTR.
  tick.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESTART;
  sigemptyset(&tick.sa_mask);
  sigaction(SIGALRM, &tick, nullptr);
  g_installed = true;
}

Why why() {
  return g_why == kDamaged ? Why::Damaged : g_why == SIGALRM ? Why::Deadline : Why::Fault;
}

const char* damage() { return g_why == kDamaged ? g_damage : ""; }

bool per_thread() {
#ifdef __linux__
  return true;
#else
  return false;
#endif
}

void wait_begin(unsigned seconds) {
  if (!seconds || g_waiting) return;
  long long now = now_ns();
  g_until_ns = now + static_cast<long long>(seconds) * 1000000000LL;
  g_last_tick_ns = now;
#ifdef __linux__
  ThreadTimer& t = t_timer;
  if (!t.made) {
    sigevent ev{};
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGALRM;
    ev._sigev_un._tid = gettid();
    if (timer_create(CLOCK_MONOTONIC, &ev, &t.id) != 0) return;  // no timer: an unbounded wait
    t.made = true;
  }
  itimerspec every{};
  every.it_interval.tv_nsec = every.it_value.tv_nsec = kTickNs;
  g_waiting = 1;
  g_ticking = timer_settime(t.id, 0, &every, nullptr) == 0;
#else
  g_waiting = 1;
  alarm(seconds);
  g_ticking = true;
#endif
}

void wait_end() {
  g_waiting = 0;  // first: a tick from here on does nothing
  if (!g_ticking) return;
  g_ticking = false;
#ifdef __linux__
  itimerspec stop{};
  timer_settime(t_timer.id, 0, &stop, nullptr);
#else
  alarm(0);
#endif
}

long long read_at(int fd, void* buf, unsigned long n, unsigned long long at) {
  ssize_t r;
  do r = pread(fd, buf, n, static_cast<off_t>(at));
  while (r < 0 && errno == EINTR);
  return r;
}

long long read_at(void*, void*, unsigned long, unsigned long long) { return -1; }  // no handles here

void damaged(const char* what) {
  if (!g_armed) return;
  size_t n = std::strlen(what);
  if (n >= sizeof g_damage) n = sizeof g_damage - 1;
  std::memcpy(g_damage, what, n);
  g_damage[n] = '\0';
  leave(kDamaged);
}

}  // namespace hvym::fault
