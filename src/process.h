// Running a helper program with a deadline, its output captured.
#pragma once
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
  bool quiet = false;       // its standard error goes to /dev/null
  int in = -1;              // its standard input, when >= 0
  std::string cwd;          // its working folder, when not empty
};

// Starts argv[0] (a path) with argv; the pid, or -1 with errno's message in error.
long spawn_process(const std::vector<std::string>& argv, const SpawnSpec& spec, std::string& error);
// Waits for it: its exit status, or -signal.
int wait_process(long pid);

// A program's run with its input given and its output captured.
struct Conversation {
  bool started = false;
  bool timed_out = false;   // killed at the deadline
  bool overflowed = false;  // killed: its output went over max_out
  bool cancelled = false;   // killed: cancel_fd became readable
  int status = -1;  // exit status, or -signal
  std::string out, err;
  std::string error;  // why it did not start
};

struct Talk {
  std::vector<std::string> argv;
  std::string path;               // the program, when not argv[0]
  std::vector<std::string> env;   // "NAME=value" added to (or replacing in) ours
  std::string_view input;         // its standard input, then end of file
  size_t max_out = 1 << 20;       // each stream; with kill_on_overflow, both together
  bool kill_on_overflow = false;
  int timeout_ms = -1;            // killed when it outlives it; <0: no deadline
  int cancel_fd = -1;             // readable: kill it now
  bool own_group = false;         // a process group of its own, killed whole
};

// Runs it and waits, reaping it (and, in its own group, what it started when
// it is killed). A program that exits while something it started still
// holds its output is not waited for beyond 50 ms.
Conversation talk(const Talk& t);

// A helper program's run: it gets `input` on its standard input, its
// standard output and error are captured (each at most max_out bytes). With
// timeout_ms >= 0 it is killed when it outlives that; otherwise it runs as
// long as it takes (a dialog waits for a person).
inline Conversation converse(const std::vector<std::string>& argv, std::string_view input,
                             size_t max_out = 1 << 20, int timeout_ms = -1) {
  return talk({.argv = argv, .input = input, .max_out = max_out, .timeout_ms = timeout_ms});
}

// The same, with nothing to say and a deadline.
inline Conversation run_capture(const std::vector<std::string>& argv, int timeout_ms,
                                size_t max_out = 65536) {
  return converse(argv, {}, max_out, timeout_ms);
}

// The last non-empty line of a program's output (for messages), at most
// 200 bytes.
std::string last_line(std::string_view text);

// A command line that opens a terminal window titled `title` running
// `inner`: the first terminal emulator found of the original's list (xterm,
// gnome-terminal, konsole, xfce4-terminal, terminator), then
// x-terminal-emulator. Empty without a display or a terminal emulator.
std::vector<std::string> terminal_window(const std::string& title, const std::vector<std::string>& inner);

// From now on this process leaves no core dump and cannot be read by
// another process of the same user (ptrace, /proc/PID/mem): called before
// it holds a secret (a passphrase, a secret key, recovery words).
void guard_secrets();

// Milliseconds on a monotonic clock.
long long now_ms();

// Whether process pid runs (not a zombie) and its command line mentions
// `name` (a recycled pid running something else does not count).
bool pid_alive(long pid, const char* name);

}  // namespace hvym
