// Running a helper program with a deadline, its output captured; and the
// other process plumbing (pipes, signals, pids) that the rest of hvym uses
// without knowing the platform. Implemented in src/platform/process_posix.cpp
// (Linux, macOS) and src/platform/process_win.cpp (Windows).
#pragma once
#include <atomic>
#include <string>
#include <string_view>
#include <vector>

namespace hvym {

// Where a spawned program's standard output goes; its input is /dev/null
// unless `in` names a descriptor to give it.
struct SpawnSpec {
  enum Out { Null, Inherit, ToStderr, AppendFile } out = Null;
  std::string file;         // AppendFile: the file (made 0600 when new)
  bool err_to_out = false;  // its standard error joins its output
  bool detach = false;      // a session of its own: it outlives hvym and its terminal
                            // (Windows: a process group of its own, no console)
  std::string window;       // Windows: a console window of its own with this title
                            // (overrides detach's no console); POSIX: ignored
  bool quiet = false;       // its standard error goes to /dev/null
  int in = -1;              // its standard input, when >= 0
  std::string cwd;          // its working folder, when not empty
  // POSIX: "NAME=value" added to (or replacing in) ours; a bare "NAME"
  // removes it (as Talk::env). Windows: ignored.
  std::vector<std::string> env;
};

// Starts argv[0] (a path) with argv; the pid, or -1 with errno's message in error.
long spawn_process(const std::vector<std::string>& argv, const SpawnSpec& spec, std::string& error);
// Waits for it: its exit status, or -signal (Windows: -1 when it was killed
// by TerminateProcess, its exit code otherwise).
int wait_process(long pid);
// Whether a process spawn_process started has ended; when it has, it is
// reaped and `status` is what wait_process would have returned.
bool process_ended(long pid, int& status);
// Asks it to end (SIGTERM), or, with force, kills it (SIGKILL). Windows has
// no polite request to a console program: both terminate it. False when
// there is no such process.
bool terminate_process(long pid, bool force = false);

// A program's run with its input given and its output captured.
struct Conversation {
  bool started = false;
  bool timed_out = false;   // killed at the deadline
  bool overflowed = false;  // killed: its output went over max_out (or over the budget: over_budget)
  bool over_budget = false;
  size_t charged = 0;       // taken from Talk::budget for its output (the caller gives it back)
  bool cancelled = false;   // killed: cancel_fd became readable
  int status = -1;  // exit status, or -signal
  std::string out, err;
  std::string error;  // why it did not start
};

// Bytes that many threads hold together (serve's output across all its
// requests): take() fails, taking nothing, once the total would pass max.
struct ByteBudget {
  std::atomic<size_t> held{0};
  size_t max = 0;
  bool take(size_t n) {
    if (held.fetch_add(n) + n <= max) return true;
    held.fetch_sub(n);
    return false;
  }
  void give(size_t n) { held.fetch_sub(n); }
};

// Called with what a program writes as it writes it (stream 1 or 2), from
// the thread that runs talk(); the bytes are captured as well.
using OutputFn = void (*)(void* ctx, int stream, std::string_view data);

struct Talk {
  std::vector<std::string> argv;
  std::string path;               // the program, when not argv[0]
  // "NAME=value" added to (or replacing in) ours; a bare "NAME" removes it.
  std::vector<std::string> env;
  std::string cwd;                // its working folder, when not empty
  std::string_view input;         // its standard input, then end of file
  size_t max_out = 1 << 20;       // each stream; with kill_on_overflow, both together
  bool kill_on_overflow = false;
  int timeout_ms = -1;            // killed when it outlives it; <0: no deadline
  int cancel_fd = -1;             // readable: kill it now
  bool own_group = false;         // a process group of its own, killed whole
  OutputFn on_output = nullptr;   // told of its output as it comes
  void* output_ctx = nullptr;
  int pass_fd = -1;               // POSIX: given to it as its descriptor 3 (Windows: ignored)
  ByteBudget* budget = nullptr;   // its output is taken from it too; past it, as past max_out
};

// Runs it and waits, reaping it (and, in its own group, what it started when
// it is killed). On Windows own_group is a Job Object: killed whole, and
// also when hvym itself ends. A program that exits while something it started still
// holds its output is not waited for beyond 50 ms.
Conversation talk(const Talk& t);
// The platform's own (process_posix.cpp, process_win.cpp): talk() without
// the thread's stop below.
Conversation talk_here(const Talk& t);

// A stop for every program this thread runs through talk() without a
// cancel_fd of its own (batch and serve set serve's stop pipe around an
// in-process request, so a probe it runs is killed when serve stops); -1
// clears it. take_thread_cancelled: whether one was killed for it since.
void set_thread_cancel(int fd);
bool take_thread_cancelled();

// A helper program's run: it gets `input` on its standard input, its
// standard output and error are captured (each at most max_out bytes). With
// timeout_ms >= 0 it is killed when it outlives that; otherwise it runs as
// long as it takes (a dialog waits for a person).
inline Conversation converse(const std::vector<std::string>& argv, std::string_view input,
                             size_t max_out = 1 << 20, int timeout_ms = -1) {
  return talk({.argv = argv, .input = input, .max_out = max_out, .timeout_ms = timeout_ms});
}

// The same, with nothing to say and a deadline; in a process group of its
// own, so a script that outlives the deadline (a `docker` wrapper running
// `sleep`) is killed with everything it started.
inline Conversation run_capture(const std::vector<std::string>& argv, int timeout_ms,
                                size_t max_out = 65536) {
  return talk({.argv = argv, .max_out = max_out, .timeout_ms = timeout_ms, .own_group = true});
}

// The last non-empty line of a program's output (for messages), at most
// 200 bytes.
std::string last_line(std::string_view text);

// A command line that opens a terminal window titled `title` running
// `inner`: x-terminal-emulator (Debian's alternative: the one the user
// chose), else the first found of the original's list (xterm,
// gnome-terminal, konsole, xfce4-terminal, terminator). Empty without a
// display or a terminal emulator.
std::vector<std::string> terminal_window(const std::string& title, const std::vector<std::string>& inner);

// From now on this process leaves no core dump and cannot be read by
// another process of the same user (ptrace, /proc/PID/mem): called before
// it holds a secret (a passphrase, a secret key, recovery words).
void guard_secrets();

// Milliseconds on a monotonic clock.
long long now_ms();

// Sleeps that long.
void sleep_ms(int ms);

// This process's id.
long current_pid();

// A path that runs this very executable as a child: /proc/self/exe on Linux
// (the running binary even when replaced on disk since), else fs::self_exe().
std::string self_program();

// A pipe: fds[0] reads, fds[1] writes; neither is inherited by programs
// hvym starts (O_CLOEXEC; Windows: CRT fds of non-inheritable handles, in
// binary mode). False with errno set.
bool make_pipe(int fds[2]);
// Closes a descriptor of make_pipe (or any CRT/POSIX fd); -1 is ignored.
void close_fd(int fd);
// Whether reading fd would not block: data waits, or the write end is
// closed (a cancel fd "fires" either way). Never waits.
bool fd_readable(int fd);
// Waits up to ms (<0: for ever) for fd_readable(fd); whether it became so.
bool wait_readable(int fd, int ms);
// Whether path is a file this process may run (POSIX: access X_OK;
// Windows: an existing file that is not a folder).
bool can_execute(const std::string& path);

// Writes all of data to fd (a pipe or FIFO); false when it could not.
bool write_fd(int fd, std::string_view data);
// Writes one byte to fd (a cancel pipe's write end); safe in a signal handler
// on POSIX.
void poke_fd(int fd);

// A write on a pipe whose reader left fails instead of killing hvym (POSIX:
// SIGPIPE ignored for good; Windows: nothing to do).
void ignore_broken_pipes();

// A batch child (HVYM_BATCH_CHILD=parent's pid): dies with its parent
// (Linux: PR_SET_PDEATHSIG; Windows: the parent's Job Object kills it).
// False when the parent is gone already.
bool tie_to_parent(const char* parent_pid);

// Removes a variable from this process's environment.
void unset_env(const char* name);

// A variable's value as this thread sees it: its overlay first (below),
// then the process's environment; null when unset.
const char* env_get(const char* name);
// The overlay of the calling thread ("NAME=value" sets, a bare "NAME"
// unsets), or null for none: serve gives a request run inside it the
// caller's DOCKER_HOST, PATH, ... The vector must outlive its use.
void set_thread_env(const std::vector<std::string>* overlay);
// The calling thread's overlay, for a thread it starts to carry on.
const std::vector<std::string>* thread_env();

// A connected pair of stream sockets, close-on-exec, both numbered 10 or
// above (so either may become a child's descriptor 3: Talk::pass_fd).
// Windows: false (not used there).
bool make_socket_pair(int fds[2]);
// Ends both directions of a socket: a thread blocked reading it wakes.
void shutdown_socket(int fd);

// Named pipes in the file system (mkfifo): on Windows there are none, and
// make_fifo fails with a message naming the platform.
bool fifos_available();
bool make_fifo(const std::string& path, std::string& error);
// Opens a FIFO for writing without waiting for a reader: the fd (blocking
// from then on), or -1 with no_reader set while nobody has it open for
// reading yet (-1 with no_reader false: it failed).
int open_fifo_writer(const std::string& path, bool& no_reader);

// Whether process pid runs (not a zombie) and its command line mentions
// `name` (a recycled pid running something else does not count).
bool pid_alive(long pid, const char* name);
// macOS's pid_alive: whether the arguments in a KERN_PROCARGS2 answer (argc,
// the executable's path, NUL padding, the arguments, then the environment)
// mention `name`; the path and the environment do not count. Here so that
// every platform's unit tests check it.
bool procargs_mention(std::string_view procargs, std::string_view name);
// Whether any process (of any user, a zombie included) has this pid.
bool process_exists(long pid);

}  // namespace hvym
