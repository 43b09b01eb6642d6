// The store's fault guard (fault_posix.cpp, fault_win.cpp): a memory fault
// in a guarded LMDB call (a damaged or truncated file under the map) comes
// back as an error instead of killing the process, and a call stuck past a
// deadline likewise (POSIX: SIGALRM; Windows: the process ends with exit 1).
//
//   if (HVYM_FAULT_CAUGHT()) { ...the call faulted: fault::why()... }
//   fault::arm(); call(); fault::disarm();
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

enum class Why { Fault, Deadline };

// Installs the handlers, once per process; unarmed they do what the
// default would. with_deadline: also the deadline's (not in batch/serve).
void install(bool with_deadline);
inline void arm() { g_armed = 1; }
inline void disarm() { g_armed = 0; }
// What the last caught fault on this thread was.
Why why();
// Starts (seconds > 0) or stops (0) the process's deadline.
void deadline(unsigned seconds);

}  // namespace hvym::fault
