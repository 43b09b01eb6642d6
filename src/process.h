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

// A helper program's run: it gets `input` on its standard input, its
// standard output and error are captured (each at most max_out bytes). With
// timeout_ms >= 0 it is killed when it outlives that; otherwise it runs as
// long as it takes (a dialog waits for a person).
struct Conversation {
  bool started = false;
  bool timed_out = false;
  int status = -1;  // exit status, or -signal
  std::string out, err;
  std::string error;  // why it did not start
};
Conversation converse(const std::vector<std::string>& argv, std::string_view input,
                      size_t max_out = 1 << 20, int timeout_ms = -1);

// The same, with nothing to say and a deadline.
inline Conversation run_capture(const std::vector<std::string>& argv, int timeout_ms,
                                size_t max_out = 65536) {
  return converse(argv, {}, max_out, timeout_ms);
}

// The last non-empty line of a program's output (for messages), at most
// 200 bytes.
std::string last_line(std::string_view text);

// Milliseconds on a monotonic clock.
long long now_ms();

// Whether process pid runs (not a zombie) and its command line mentions
// `name` (a recycled pid running something else does not count).
bool pid_alive(long pid, const char* name);

}  // namespace hvym
