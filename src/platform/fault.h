// The store's fault guard (fault_posix.cpp, fault_win.cpp): a memory fault
// in a guarded LMDB call (a damaged or truncated file under the map), or an
// assertion LMDB makes about a damaged page, comes back as an error instead
// of killing the process; and a wait for another process (LMDB's writer
// lock, its reader table's lock, the lock file while another process sets
// it up) is bounded by a deadline that covers that wait only.
//
//   if (HVYM_FAULT_CAUGHT()) { fault::wait_end(); ...: fault::why() }
//   fault::arm(); fault::wait_begin(10); wait(); fault::wait_end(); fault::disarm();
//
// Per thread: batch and serve guard calls on several threads at once.
#pragma once
#ifdef _WIN32
// GCC's builtin setjmp: no unwinding, five words; the handler resumes the
// faulting thread in a function that jumps back here.
namespace hvym::fault {
extern __thread void* g_jump[5];
}
#define HVYM_FAULT_CAUGHT() (__builtin_setjmp(::hvym::fault::g_jump) != 0)
#else
#include <csetjmp>
namespace hvym::fault {
extern __thread sigjmp_buf g_jump;
}
#define HVYM_FAULT_CAUGHT() (sigsetjmp(::hvym::fault::g_jump, 0) != 0)
#endif

namespace hvym::fault {

extern __thread volatile int g_armed;

enum class Why { Fault, Deadline, Damaged };

// Installs the handlers, once per process; unarmed they do what the
// default would.
void install();
inline void arm() { g_armed = 1; }
inline void disarm() { g_armed = 0; }
// What the last caught fault on this thread was.
Why why();
// Damaged: what LMDB said (its assertion), else "".
const char* damage();

// A wait for another process, inside an armed call. Linux: a timer of this
// thread's own ticks while it waits; each tick makes a lock wait look at the
// lock again (a wake-up lost to a waiter killed after it was woken costs a
// tick, not the deadline), and the tick after `seconds` of waiting jumps
// back, unless the thread has just taken the lock (then the wait is over
// and the call goes on). Time the process spent stopped (Ctrl-Z) does not
// count. Nothing fires after wait_end(). Elsewhere the deadline is the
// process's (POSIX: alarm; Windows: a timer that ends the process), so only
// a process with one thread guarding may ask for it: see per_thread().
void wait_begin(unsigned seconds);
void wait_end();
// Whether deadlines are per thread here (a server's threads may use them).
bool per_thread();

// Reads LMDB's data file through LMDB's own descriptor (mdb_filehandle_t:
// an int on POSIX, a HANDLE on Windows) for the damage checks
// (store/pages.h): up to n bytes at `at`; 0 at the end; -1 on an error.
long long read_at(int fd, void* buf, unsigned long n, unsigned long long at);
long long read_at(void* handle, void* buf, unsigned long n, unsigned long long at);

// From LMDB's assertion hook: an armed call on this thread jumps back as a
// fault would (why() == Damaged); unarmed, this returns (LMDB then aborts).
void damaged(const char* what);

}  // namespace hvym::fault
