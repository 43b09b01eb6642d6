// The process interface (process.h) on Linux and macOS.
#include "platform/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#ifdef __APPLE__
#include <libproc.h>
#include <sys/proc.h>
#include <sys/sysctl.h>
#endif
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "platform/files.h"
#include "platform/fs.h"

extern char** environ;

namespace hvym {
namespace {

// pipe2(O_CLOEXEC) where there is one (Linux); else pipe, then FD_CLOEXEC.
int cloexec_pipe(int fds[2]) {
#ifdef __linux__
  return pipe2(fds, O_CLOEXEC);
#else
  if (pipe(fds) != 0) return -1;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return 0;
#endif
}

// execve's argv: pointers into the strings, then a null.
std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  return args;
}

}  // namespace

std::vector<std::string> terminal_window(const std::string& title, const std::vector<std::string>& inner) {
  auto set = [](const char* name) {
    const char* v = std::getenv(name);
    return v && *v;  // DISPLAY= (empty) is no display
  };
  if (!set("DISPLAY") && !set("WAYLAND_DISPLAY")) return {};
  struct Term { const char* name; std::vector<std::string> prefix; };
  // Debian's x-terminal-emulator first: the terminal the user chose.
  const Term terms[] = {
      {"x-terminal-emulator", {"-T", title, "-e"}},
      {"xterm", {"-title", title, "-e"}},
      {"gnome-terminal", {"--title=" + title, "--wait", "--"}},  // --wait: lives as long as the window
      {"konsole", {"--title", title, "-e"}},
      {"xfce4-terminal", {"--title=" + title, "-x"}},
      {"terminator", {"--title=" + title, "-x"}},
  };
  for (const Term& t : terms) {
    std::string path = find_in_path(t.name);
    if (path.empty()) continue;
    std::vector<std::string> cmd = {path};
    // xterm (x-terminal-emulator may be it, or Debian's lxterm/uxterm
    // wrappers of it) opens with a 6x13-pixel X core font, often without
    // the glyphs beyond Latin-1 that its UTF-8 text has: a readable
    // fontconfig font instead, which xterm completes from other fonts
    // for what it lacks.
    char* real = realpath(path.c_str(), nullptr);
    std::string_view base = real ? std::string_view(real) : std::string_view(path);
    base = base.substr(base.rfind('/') + 1);
    if (base == "xterm" || base == "lxterm" || base == "uxterm")
      cmd.insert(cmd.end(), {"-fa", "Monospace", "-fs", "13"});
    std::free(real);
    cmd.insert(cmd.end(), t.prefix.begin(), t.prefix.end());
    cmd.insert(cmd.end(), inner.begin(), inner.end());
    return cmd;
  }
  return {};
}

void guard_secrets() {
#ifdef __linux__
  prctl(PR_SET_DUMPABLE, 0);
#endif
  rlimit none{0, 0};
  setrlimit(RLIMIT_CORE, &none);
}

long long now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

bool process_exists(long pid) {
  return pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH);
}

bool pid_alive(long pid, const char* name) {
  if (pid <= 0 || kill(static_cast<pid_t>(pid), 0) != 0) return false;
#ifdef __linux__
  std::string base = "/proc/" + std::to_string(pid);
  char buf[4096];
  int fd = open((base + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  std::string_view stat(buf, static_cast<size_t>(n));
  size_t paren = stat.rfind(')');  // "pid (comm) S ..."
  if (paren == std::string_view::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z') return false;
  fd = open((base + "/cmdline").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  n = read(fd, buf, sizeof buf);
  close(fd);
  return n > 0 && std::string_view(buf, static_cast<size_t>(n)).find(name) != std::string_view::npos;
#elif defined(__APPLE__)
  // No /proc: the state from libproc (a zombie is not alive), the arguments
  // from the kernel's KERN_PROCARGS2 (only the user's own processes, or
  // root's view: another user's process is not the tunnel hvym started).
  proc_bsdinfo info{};
  if (proc_pidinfo(static_cast<int>(pid), PROC_PIDTBSDINFO, 0, &info, sizeof info) != sizeof info ||
      info.pbi_status == SZOMB)
    return false;
  int argmax = 0;
  size_t len = sizeof argmax;
  int argmax_mib[2] = {CTL_KERN, KERN_ARGMAX};
  if (sysctl(argmax_mib, 2, &argmax, &len, nullptr, 0) != 0 || argmax <= 0) return false;
  std::string args(static_cast<size_t>(argmax), '\0');
  len = args.size();
  int args_mib[3] = {CTL_KERN, KERN_PROCARGS2, static_cast<int>(pid)};
  if (sysctl(args_mib, 3, args.data(), &len, nullptr, 0) != 0) return false;
  return procargs_mention(std::string_view(args.data(), len), name);
#else
  (void)name;
  return true;
#endif
}

namespace {
std::vector<char*> child_env(const std::vector<std::string>& extra);
}

long spawn_process(const std::vector<std::string>& argv_in, const SpawnSpec& spec, std::string& error) {
#if defined(__linux__) || defined(__APPLE__)
  const std::vector<std::string>& argv = argv_in;
#else
  // No posix_spawn_file_actions_addchdir_np: a shell changes folder, then
  // becomes the program.
  std::vector<std::string> argv = argv_in;
  if (!spec.cwd.empty())
    argv.insert(argv.begin(), {"/bin/sh", "-c", "cd -- \"$0\" && exec \"$@\"", spec.cwd});
#endif
  std::vector<char*> args = c_argv(argv);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (spec.in >= 0) posix_spawn_file_actions_adddup2(&fa, spec.in, 0);
  else posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  switch (spec.out) {
    case SpawnSpec::Null: posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0); break;
    case SpawnSpec::Inherit: break;
    case SpawnSpec::ToStderr: posix_spawn_file_actions_adddup2(&fa, 2, 1); break;
    case SpawnSpec::AppendFile:
      posix_spawn_file_actions_addopen(&fa, 1, spec.file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      break;
  }
  if (spec.err_to_out) posix_spawn_file_actions_adddup2(&fa, 1, 2);
  else if (spec.quiet) posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
#if defined(__linux__) || defined(__APPLE__)
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, spec.cwd.c_str());
#endif
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
#ifdef POSIX_SPAWN_SETSID
  if (spec.detach) posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
#else
  if (spec.detach) {  // a process group of its own: no job-control signals from our terminal
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  }
#endif
  pid_t pid = -1;
  std::vector<char*> env;
  if (!spec.env.empty()) env = child_env(spec.env);
  int rc = posix_spawn(&pid, args[0], &fa, &attr, args.data(), spec.env.empty() ? environ : env.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    error = "cannot run " + argv[0] + ": " + std::strerror(rc);
    return -1;
  }
  return pid;
}

int wait_process(long pid) {
  int st = 0;
  while (waitpid(static_cast<pid_t>(pid), &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

namespace {

// The environment for a child: ours plus `extra` ("NAME=value"), which
// replaces a variable of the same name; a bare "NAME" removes it.
std::vector<char*> child_env(const std::vector<std::string>& extra) {
  std::vector<char*> env;
  auto name_of = [](std::string_view v) { return v.substr(0, v.find('=')); };
  for (char** e = environ; *e; ++e) {
    std::string_view var(*e);
    bool replaced = false;
    for (const std::string& x : extra)
      if (name_of(var) == name_of(x)) replaced = true;
    if (!replaced) env.push_back(*e);
  }
  for (const std::string& x : extra)
    if (x.find('=') != std::string::npos) env.push_back(const_cast<char*>(x.c_str()));
  env.push_back(nullptr);
  return env;
}

void drop_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// The three pipes, and the program started on their far ends; false, with
// c.error and every pipe closed, when either fails.
bool start_talk(const Talk& t, int in[2], int out[2], int err[2], pid_t& pid, Conversation& c) {
  if (cloexec_pipe(in) != 0 || cloexec_pipe(out) != 0 || cloexec_pipe(err) != 0) {
    c.error = std::strerror(errno);
    for (int* p : {in, out, err}) drop_fd(p[0]), drop_fd(p[1]);
    return false;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  if (t.pass_fd >= 0) posix_spawn_file_actions_adddup2(&fa, t.pass_fd, 3);
#if defined(__linux__) || defined(__APPLE__)
  if (!t.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, t.cwd.c_str());
#endif
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (t.own_group) {  // killed whole: the programs it started go with it
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  std::vector<char*> args = c_argv(t.argv);
  std::vector<char*> env = child_env(t.env);
  const std::string& path = t.path.empty() ? t.argv[0] : t.path;
  int rc = posix_spawn(&pid, path.c_str(), &fa, &attr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  drop_fd(in[0]), drop_fd(out[1]), drop_fd(err[1]);
  if (rc != 0) {
    drop_fd(in[1]), drop_fd(out[0]), drop_fd(err[0]);
    c.error = "cannot run " + t.argv[0] + ": " + std::strerror(rc);
    return false;
  }
  return true;
}

// A started program's pipes, served until both outputs end (or it must
// stop): its input written as it takes it, its outputs read into c.
struct Exchange {
  const Talk& t;
  Conversation& c;
  pid_t pid;
  int to_write;
  std::string_view input;
  int readers[2];
  std::string* sinks[2];
  long long deadline = 0;  // with t.timeout_ms
  bool reaped = false;
  int wstatus = 0;
  long long drain_until = 0;  // after it exited: what is still in the pipes

  void run();
  bool serve(const pollfd* pfd, nfds_t n);
  void feed();
  bool take(int fd);
  void stop(bool& why) {
    why = true;
    // Its group, and itself: a child that has not made its group yet (the
    // moment between fork and setpgid; longer under qemu-user) is not in
    // it, and talk() would wait for it for ever.
    if (t.own_group) kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  }
};

void Exchange::run() {
  while (readers[0] >= 0 || readers[1] >= 0) {
    long long now = now_ms();
    int wait = 100;  // a tick to notice that it exited while a descendant holds a pipe
    if (t.timeout_ms >= 0) {
      if (deadline - now <= 0) {
        stop(c.timed_out);
        break;
      }
      wait = static_cast<int>(std::min<long long>(wait, deadline - now));
    }
    if (drain_until && now >= drain_until) break;
    pollfd pfd[4];
    nfds_t n = 0;
    for (int fd : readers)
      if (fd >= 0) pfd[n++] = {fd, POLLIN, 0};
    if (to_write >= 0) pfd[n++] = {to_write, POLLOUT, 0};
    if (t.cancel_fd >= 0) pfd[n++] = {t.cancel_fd, POLLIN, 0};
    int ready = poll(pfd, n, wait);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) {
      if (!reaped && waitpid(pid, &wstatus, WNOHANG) == pid) {
        reaped = true;
        drain_until = now_ms() + 50;
      }
      continue;
    }
    if (!serve(pfd, n)) break;
  }
}

// What poll found ready; false when the talk ends here (cancelled, or its
// output over the limit).
bool Exchange::serve(const pollfd* pfd, nfds_t n) {
  bool cancelled = false;
  for (nfds_t k = 0; k < n; ++k) {
    if (!pfd[k].revents) continue;
    if (pfd[k].fd == t.cancel_fd) {
      cancelled = true;
      continue;
    }
    if (pfd[k].fd == to_write) {
      feed();
      continue;
    }
    if (!take(pfd[k].fd)) break;
  }
  if (cancelled && !c.overflowed) stop(c.cancelled);
  return !(c.cancelled || c.overflowed);
}

void Exchange::feed() {
  ssize_t w = write(to_write, input.data(), input.size());
  if (w > 0) input.remove_prefix(static_cast<size_t>(w));
  if ((w < 0 && errno != EAGAIN && errno != EINTR) || input.empty()) drop_fd(to_write);
}

// One read from an output; false when that output killed it (kill_on_overflow).
bool Exchange::take(int fd) {
  char buf[16384];
  int which = fd == readers[0] ? 0 : 1;
  ssize_t got = read(fd, buf, sizeof buf);
  if (got < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (got <= 0) {
    drop_fd(readers[which]);
    return true;
  }
  std::string& s = *sinks[which];
  size_t size = static_cast<size_t>(got);
  if (t.on_output) t.on_output(t.output_ctx, which + 1, {buf, size});
  if (t.budget && !t.budget->take(size)) {  // the server holds too much already
    c.over_budget = true;
    stop(c.overflowed);
    return false;
  }
  if (t.budget) c.charged += size;
  if (t.kill_on_overflow) {
    if (c.out.size() + c.err.size() + size > t.max_out) {
      stop(c.overflowed);
      return false;
    }
    s.append(buf, size);
  } else if (s.size() < t.max_out) {
    s.append(buf, std::min(size, t.max_out - s.size()));
  }
  return true;
}

}  // namespace

Conversation talk_here(const Talk& t) {
  Conversation c;
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  pid_t pid;
  if (!start_talk(t, in, out, err, pid, c)) return c;
  c.started = true;
  // A program that exits without reading its input must not kill hvym:
  // batch and serve ignore SIGPIPE for good; a one-process call only here.
  struct sigaction ignore {}, old {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, nullptr, &old);
  bool swap = old.sa_handler != SIG_IGN;
  if (swap) sigaction(SIGPIPE, &ignore, nullptr);
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  Exchange x{t, c, pid, in[1], t.input, {out[0], err[0]}, {&c.out, &c.err}};
  if (x.input.empty()) drop_fd(x.to_write);
  x.deadline = t.timeout_ms >= 0 ? now_ms() + t.timeout_ms : 0;
  x.run();
  drop_fd(x.to_write);
  for (int& fd : x.readers) drop_fd(fd);
  if (!x.reaped) {
    while (waitpid(pid, &x.wstatus, 0) < 0 && errno == EINTR) {
    }
  }
  c.status = WIFEXITED(x.wstatus) ? WEXITSTATUS(x.wstatus) : -WTERMSIG(x.wstatus);
  if (swap) sigaction(SIGPIPE, &old, nullptr);
  return c;
}

bool process_ended(long pid, int& status) {
  int st = 0;
  if (waitpid(static_cast<pid_t>(pid), &st, WNOHANG) != pid) return false;
  status = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
  return true;
}

bool terminate_process(long pid, bool force) {
  return pid > 0 && kill(static_cast<pid_t>(pid), force ? SIGKILL : SIGTERM) == 0;
}

void sleep_ms(int ms) { poll(nullptr, 0, ms); }

long current_pid() { return static_cast<long>(getpid()); }

std::string self_program() {
#ifdef __linux__
  return "/proc/self/exe";  // this binary, even when replaced on disk since
#else
  return fs::self_exe();
#endif
}

bool make_pipe(int fds[2]) { return cloexec_pipe(fds) == 0; }

void close_fd(int fd) {
  if (fd >= 0) close(fd);
}

bool fd_readable(int fd) { return wait_readable(fd, 0); }

bool wait_readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  int n;
  while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR) {
  }
  return n > 0;
}

bool can_execute(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

bool write_fd(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void poke_fd(int fd) {
  char c = 1;
  ssize_t ignored = write(fd, &c, 1);
  (void)ignored;
}

void ignore_broken_pipes() { signal(SIGPIPE, SIG_IGN); }

bool tie_to_parent(const char* parent_pid) {
#ifdef __linux__
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != static_cast<pid_t>(std::atol(parent_pid))) return false;  // the parent is gone already
#else
  (void)parent_pid;
#endif
  return true;
}

void unset_env(const char* name) { unsetenv(name); }

bool make_socket_pair(int fds[2]) {
  int raw[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, raw) != 0) return false;
  for (int k = 0; k < 2; ++k) {
    fds[k] = fcntl(raw[k], F_DUPFD_CLOEXEC, 10);  // never 3: a child's 3 is dup2'd from it
    close(raw[k]);
  }
  if (fds[0] >= 0 && fds[1] >= 0) return true;
  for (int k = 0; k < 2; ++k) drop_fd(fds[k]);
  return false;
}

void shutdown_socket(int fd) {
  if (fd >= 0) shutdown(fd, SHUT_RDWR);
}


bool fifos_available() { return true; }

bool make_fifo(const std::string& path, std::string& error) {
  if (mkfifo(path.c_str(), 0600) == 0) return true;
  error = "cannot make " + path + ": " + std::strerror(errno);
  return false;
}

int open_fifo_writer(const std::string& path, bool& no_reader) {
  int fd = open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  no_reader = fd < 0 && errno == ENXIO;
  if (fd >= 0) fcntl(fd, F_SETFL, 0);
  return fd;
}

}  // namespace hvym
