// The Pinggy tunnel to the local gateway: open (in a terminal window, or
// detached with a log), status, close. The state and the PID live in the
// store; status trusts only what it can see (the process, the debugger).
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "unit/args.h"
#include "unit/command.h"
#include "unit/config_access.h"
#include "store/config.h"
#include "net/http.h"
#include "store/paths.h"
#include "net/pinggy.h"
#include "platform/process.h"
#include "json/pyconv.h"

namespace hvym::commands {
namespace {

// Reads the token from the FIFO, records its pid, becomes pinggy with the
// original's command line. The token never appears in a terminal's or a
// shell's arguments, nor on disk.
constexpr const char* kScript =
    "p=$1 port=$2 dport=$3 tier=$4 pidfile=$5 fifo=$6\n"
    "IFS= read -r token < \"$fifo\" || exit 1\n"
    "(umask 077 && echo $$ > \"$pidfile\")\n"  // 0600, as every file of the data folder
    "exec \"$p\" -p 443 -R0:localhost:$port -L$dport:localhost:4300 -o StrictHostKeyChecking=no "
    "-o ServerAliveInterval=30 -t \"$token@$tier.pinggy.io\" x:https x:localServerTls:localhost "
    "x:passpreflight\n";

struct Tunnel {
  std::string dir;   // data folder
  long pid = 0;      // recorded
  std::string status;
  uint16_t dport = 4300;
  bool process = false;   // the recorded pid is a live pinggy
  bool debugger = false;  // the web debugger answers 200

  bool running() const { return process || debugger; }
  std::string file(const char* name) const { return dir + "/" + name; }
};

void look(Tunnel& t, const Config& cfg) {
  t.dir = data_dir();
  t.status = std::string(cfg.get(Key::TunnelStatus));
  t.pid = std::atol(std::string(cfg.get(Key::TunnelPid)).c_str());
  t.dport = static_cast<uint16_t>(std::atoi(std::string(cfg.get(Key::PinggyDebuggerPort)).c_str()));
  t.process = pid_alive(t.pid, "pinggy");
  HttpAnswer a = http_get_loopback(t.dport, "/", 1000);
  t.debugger = a.state == HttpAnswer::Answered && a.status == 200;
}

// Writes the tunnel's state in one transaction.
bool record(Call& call, std::string_view status, long pid) {
  char now[py::kFloatBuf];
  auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  size_t n = py::float_repr(std::chrono::duration<double>(since_epoch).count(), now);
  return write_config(call, [&] {
    std::string error;
    Config& cfg = call.config();
    if (!cfg.set(Key::TunnelStatus, status, error) ||
        !cfg.set(Key::TunnelPid, pid > 0 ? std::to_string(pid) : "", error) ||
        !cfg.set(Key::TunnelTimestamp, std::string_view(now, n), error))
      return failure(call, error);
    return kOk;
  }) == kOk;
}

// Hands the token to the script through the FIFO, within the deadline.
bool hand_over(const std::string& fifo, const std::string& token, int timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  int fd;
  bool no_reader = false;
  while ((fd = open_fifo_writer(fifo, no_reader)) < 0) {
    if (!no_reader || now_ms() > deadline) return false;
    sleep_ms(20);
  }
  bool ok = write_fd(fd, token + "\n");
  close_fd(fd);
  return ok;
}

long read_pidfile(const std::string& path, int timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  while (now_ms() <= deadline) {
    char buf[32] = {};
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
      size_t n = std::fread(buf, 1, sizeof buf - 1, f);
      std::fclose(f);
      if (n > 0 && buf[n - 1] == '\n') return std::atol(buf);
    }
    sleep_ms(20);
  }
  return 0;
}

std::string log_tail(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return "";
  char buf[401] = {};
  size_t n = 0;
  if (std::fseek(f, 0, SEEK_END) == 0) {
    long size = std::ftell(f);
    if (size >= 0 && std::fseek(f, size > 400 ? size - 400 : 0, SEEK_SET) == 0) n = std::fread(buf, 1, 400, f);
  }
  std::fclose(f);
  return std::string(buf, n);
}

// Where there are no FIFOs (Windows): pinggy itself in a console window of
// its own, as the original started it there (`start "Pintheon Tunnel" cmd
// /k PINGGY ...`), its pid the one started. The token is in pinggy's
// command line, as in the original (and as on POSIX once the script execs
// pinggy), but in no shell's.
int open_in_console(Call& call, const std::string& pinggy, const std::string& token, const std::string& tier,
                    const std::string& port, uint16_t dport) {
  if (!record(call, "starting", 0)) return kFailed;
  std::vector<std::string> argv = {pinggy, "-p", "443", "-R0:localhost:" + port,
                                   "-L" + std::to_string(dport) + ":localhost:4300",
                                   "-o", "StrictHostKeyChecking=no", "-o", "ServerAliveInterval=30",
                                   "-t", token + "@" + tier + ".pinggy.io",
                                   "x:https", "x:localServerTls:localhost", "x:passpreflight"};
  std::string error;
  long pid = spawn_process(argv, {.out = SpawnSpec::Inherit, .window = "Pintheon Tunnel"}, error);
  if (pid > 0) sleep_ms(300);  // a pinggy that fails at once shows it now
  if (pid <= 0 || !pid_alive(pid, "pinggy")) {
    record(call, "error", 0);
    return failure(call, "the tunnel did not start" + (error.empty() ? std::string() : ": " + error));
  }
  if (!record(call, "running", pid)) return kFailed;
  call.out.line("tunnel running in a console window (pid " + std::to_string(pid) + ")");
  return kOk;
}

int open_run(Call& call) {
  Tunnel t;
  std::string token, tier, port;
  look(t, call.config());
  token = std::string(call.config().get(Key::PinggyToken));
  tier = std::string(first_of(call.config().get(Key::PinggyTiers)));
  port = std::string(call.config().get(Key::PintheonPort));
  if (t.running()) {
    call.out.line(t.process ? "the tunnel is already running (pid " + std::to_string(t.pid) + ")"
                            : "the tunnel is already running (its debugger answers on port " +
                                  std::to_string(t.dport) + ")");
    return kOk;
  }
  if (py::strip(token).empty()) return failure(call, "no Pinggy token: set one with hvym pinggy-set-token");
  std::string pinggy = find_pinggy();
  if (pinggy.empty()) return failure(call, "pinggy is not installed: run hvym pinggy-install");

  if (!fifos_available()) return open_in_console(call, pinggy, token, tier, port, t.dport);

  std::string fifo = t.file("pinggy-token.fifo"), pidfile = t.file("pinggy.pid"),
              log = t.file("pinggy.log");
  std::remove(fifo.c_str());
  std::remove(pidfile.c_str());
  std::string error;
  if (!make_fifo(fifo, error)) return failure(call, error);
  std::vector<std::string> inner = {"/bin/sh", "-c", kScript, "pintheon-tunnel", pinggy, port,
                                    std::to_string(t.dport), tier, pidfile, fifo};
  std::vector<std::string> term = terminal_window("Pintheon Tunnel", inner);
  if (!record(call, "starting", 0)) return kFailed;
  long launched = spawn_process(term.empty() ? inner : term,
                                {.out = SpawnSpec::AppendFile, .file = log, .err_to_out = true, .detach = true},
                                error);
  bool handed = launched > 0 && hand_over(fifo, token, 10000);
  std::remove(fifo.c_str());
  long pid = handed ? read_pidfile(pidfile, 5000) : 0;
  if (pid > 0) sleep_ms(300);  // a pinggy that fails at once shows it now
  if (pid <= 0 || !pid_alive(pid, "pinggy")) {
    record(call, "error", 0);
    std::string tail = term.empty() ? log_tail(log) : "";
    return failure(call, "the tunnel did not start" + (tail.empty() ? std::string() : ":\n" + tail));
  }
  if (!record(call, "running", pid)) return kFailed;
  call.out.line(term.empty() ? "tunnel running (pid " + std::to_string(pid) + "), log in " + log
                             : "tunnel running in a " + term[0].substr(term[0].rfind('/') + 1) +
                                   " window (pid " + std::to_string(pid) + ")");
  return kOk;
}

int status_run(Call& call) {
  Tunnel t;
  look(t, call.config());
  // Never a stale "running": what the store says yields to what is seen.
  if (!t.running() && (t.status == "running" || t.status == "starting") && !record(call, "stopped", 0))
    return kFailed;
  call.out.line(t.running() ? "running" : "stopped");
  return kOk;
}

int close_run(Call& call) {
  Tunnel t;
  look(t, call.config());
  if (!t.process) {
    if (t.debugger)
      return failure(call, "a tunnel hvym did not start answers on port " + std::to_string(t.dport) +
                               "; stop it where it runs");
    if (t.status != "stopped" && !record(call, "stopped", 0)) return kFailed;
    call.out.line("the tunnel was not running");
    return kOk;
  }
  terminate_process(t.pid);
  long long deadline = now_ms() + 3000;
  while (pid_alive(t.pid, "pinggy") && now_ms() < deadline) sleep_ms(20);
  if (pid_alive(t.pid, "pinggy")) terminate_process(t.pid, true);
  if (!record(call, "stopped", 0)) return kFailed;
  call.out.line("tunnel stopped (pid " + std::to_string(t.pid) + ")");
  return kOk;
}

}  // namespace

extern constinit const Command pintheon_tunnel_open{
    .name = "pintheon-tunnel-open",
    .group = Group::Pintheon,
    .summary = "Open the Pinggy tunnel to the gateway (a terminal window, or detached).",
    .help = "Run pinggy with the original's command line in a new terminal window (xterm, "
            "gnome-terminal, konsole, xfce4-terminal, terminator), or detached with its output "
            "in DATA/pinggy.log when there is no display or terminal; record the state and pid. "
            "The token reaches pinggy through a pipe, not a command line or a file.",
    .params = {},
    .needs = kExclusive | kReadsConfig | kWritesConfig,  // read, launch, record
    .run = open_run,
};

extern constinit const Command pintheon_tunnel_status{
    .name = "pintheon-tunnel-status",
    .group = Group::Pintheon,
    .summary = "Print running or stopped, from the recorded process and the debugger port.",
    .help = nullptr,
    .params = {},
    .needs = kReadsConfig | kWritesConfig,  // a stale "running" is recorded as stopped
    .run = status_run,
};

extern constinit const Command pintheon_tunnel_close{
    .name = "pintheon-tunnel-close",
    .group = Group::Pintheon,
    .summary = "Stop the Pinggy tunnel hvym started.",
    .help = nullptr,
    .params = {},
    .needs = kExclusive | kReadsConfig | kWritesConfig,
    .run = close_run,
};

}  // namespace hvym::commands
