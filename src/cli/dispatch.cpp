#include "cli/dispatch.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "unit/args.h"
#include "store/config.h"
#include "cli/diag.h"
#include "cli/table.h"
#include "unit/config_access.h"
#include "unit/input.h"
#include "platform/lock.h"
#include "platform/relay.h"
#include "store/paths.h"
#include "store/store.h"
#include "cli/perf.h"
#include "platform/sys.h"
#include "platform/process.h"
#include "cli/toplevel.h"
#include "prompt/prompt.h"

extern char** environ;

namespace hvym {

namespace {

int run_unit(const Command& cmd, std::string_view prog, std::span<const char* const> args, Sink& out,
             Sink& err, const RunOptions& options) {
  Call call{cmd, prog, out, err, {}};
  Input own_input = options.one_shot ? Input::from_fd(0) : Input::from_text({});
  call.input = options.input ? options.input : &own_input;
  switch (parse_args(call, args)) {
    case Parsed::Help: return kOk;
    case Parsed::Usage: return kUsage;
    case Parsed::Ok: break;
  }
  if (!options.no_input_why.empty()) call.no_input_why = options.no_input_why;
  // A snapshot serves commands that only read the config (probes included).
  if (options.snapshot && (cmd.needs & kReadsConfig) && !(cmd.needs & kMayWrite)) {
    StoreHandle snapshot(*options.snapshot);
    call.store = &snapshot;
    return cmd.run(call);
  }
  ExclusiveLock lock;
  if (cmd.needs & kExclusive) {
    std::string dir = data_dir(), error;
    if (dir.empty()) error = "no data folder: set HOME or HVYM_HOME";
    if (!error.empty() || !lock_data_dir(lock, dir, err, error)) {
      err.line("Error: " + error);
      return kFailed;
    }
    trace_store_event("lock");  // kExclusive honoured (tests/cli/test_flags.py)
  }
  if (!(cmd.needs & kReadsConfig)) return cmd.run(call);

  // The one read session of this call. Writes are short write transactions
  // of their own (write_config, remember; the Stellar layer for
  // kOwnWrites), opened after questions and downloads.
  ConfigSession session;
  int status;
  if (cmd.needs & kMayPrompt) {
    // Read when the unit needs the values (read_config): a call that asks
    // nothing (a value given, a bad one) reads nothing it does not use.
    StoreHandle deferred(StoreHandle::Kind::Deferred, session);
    call.store = &deferred;
    status = cmd.run(call);
  } else {
    if (!session.open(false, err)) return kFailed;
    StoreHandle own(StoreHandle::Kind::Session, session);
    // A read pins the pages of its snapshot: long work (pulls, downloads)
    // must not hold it.
    own.session_opened(!(cmd.needs & kExclusive));
    call.store = &own;
    status = cmd.run(call);
  }
  if (options.one_shot) session.end_for_exit();
  return status;
}

}  // namespace

int run_command(const Command& cmd, std::string_view prog, std::span<const char* const> args,
                Sink& out, Sink& err, const RunOptions& options) {
  int status = run_unit(cmd, prog, args, out, err, options);
  return status == kClosed ? kOk : status;
}

namespace {

// hvym's own variables, found in one pass over the environment (a getenv
// each would walk it four times at every start).
struct OwnEnv {
  const char* perf = nullptr;         // HVYM_PERF
  const char* diag = nullptr;         // HVYM_DIAG
  const char* batch_child = nullptr;  // HVYM_BATCH_CHILD: run by batch/serve (the parent's pid)
  const char* ask_fd = nullptr;       // HVYM_ASK_FD: serve's socket for questions (a descriptor)
  const char* store_trace = nullptr;  // HVYM_STORE_TRACE: a file for the store's events (tests)
};

OwnEnv own_env() {
  OwnEnv e;
  for (char** p = environ; *p; ++p) {
    const char* v = *p;
    if (v[0] != 'H' || std::strncmp(v, "HVYM_", 5) != 0) continue;
    v += 5;
    if (std::strncmp(v, "PERF=", 5) == 0) e.perf = v + 5;
    else if (std::strncmp(v, "DIAG=", 5) == 0) e.diag = v + 5;
    else if (std::strncmp(v, "BATCH_CHILD=", 12) == 0) e.batch_child = v + 12;
    else if (std::strncmp(v, "ASK_FD=", 7) == 0) e.ask_fd = v + 7;
    else if (std::strncmp(v, "STORE_TRACE=", 12) == 0) e.store_trace = v + 12;
  }
  return e;
}

// HVYM_ASK_FD's descriptor when it names a stream socket, now claimed
// (close-on-exec: what the command runs does not inherit it); else -1.
// Never a standard stream, whatever the variable says.
int relay_fd(const char* text) {
  int fd = 0;
  for (const char* p = text; *p; ++p) {
    if (*p < '0' || *p > '9' || fd > 100000) return -1;
    fd = fd * 10 + (*p - '0');
  }
  return fd > 2 && relay::claim(fd) ? fd : -1;
}

}  // namespace

int dispatch(int argc, char** argv) {
  OwnEnv env = own_env();
  if (env.store_trace) trace_store_to(env.store_trace);
  Perf perf(env.perf);
  FdSink out(1);
  FdSink err(2);
  std::string_view invoked = argc > 0 && argv[0] ? argv[0] : "hvym";
  std::string_view base = invoked.substr(invoked.find_last_of("/\\") + 1);
  // Windows: C:\bin\pintheon-port.exe is pintheon-port.
  if (base.size() > 4 && (base.ends_with(".exe") || base.ends_with(".EXE"))) base.remove_suffix(4);
  if (base.empty()) base = "hvym";

  // Busybox style: a link named after a command runs it; otherwise the
  // first argument names it.
  const Command* cmd = find_command(base);
  int first = 1;
  // How messages name the program: "pintheon-port" or "hvym pintheon-port".
  char prog[160];
  size_t prog_len = 0;
  auto add = [&](std::string_view s) {
    size_t n = std::min(s.size(), sizeof prog - prog_len);
    std::memcpy(prog + prog_len, s.data(), n);
    prog_len += n;
  };
  add(base);
  if (!cmd) {
    std::span<const char* const> rest(argv + (argc > 0 ? 1 : 0), argc > 0 ? argc - 1 : 0);
    if (!rest.empty() && std::strcmp(rest[0], "--") == 0) {  // Click: options end, the command follows
      rest = rest.subspan(1);
      if (rest.empty()) return missing_command(base, err);
    } else if (rest.empty() || rest[0][0] == '-') {
      return run_toplevel(base, rest, out, err);
    }
    std::string_view name = rest[0];
    cmd = find_command(name);
    if (!cmd && name == "help") return run_help(base, rest.subspan(1), out, err);  // `hvym help [CMD]`
    if (!cmd) return unknown_command(base, name, err);
    first = argc - static_cast<int>(rest.size()) + 1;  // 2, or 3 after "--"
    add(" ");
    add(name);
  }
  if (env.diag && std::strcmp(env.diag, "1") == 0) write_diag(err);
  // A request that batch or serve runs as a child process: it does not
  // outlive the thread waiting for it, and it never asks, unless serve gave
  // it a socket to its client for questions (HVYM_ASK_FD).
  std::string_view no_input;
  if (const char* parent = env.batch_child) {
    if (!tie_to_parent(parent)) return kFailed;  // the parent is gone already
    // HVYM_ASK_FD=local: serve's client answers nothing itself; the command
    // asks as it would on its own (a dialog program of its environment).
    bool local = env.ask_fd && std::strcmp(env.ask_fd, "local") == 0;
    int ask_fd = env.ask_fd && !local ? relay_fd(env.ask_fd) : -1;
    unset_env("HVYM_BATCH_CHILD");  // neither is for the programs it runs
    if (env.ask_fd) unset_env("HVYM_ASK_FD");
    if (ask_fd >= 0) relay_questions(ask_fd);
    else if (!local) no_input = "batch never asks";
    sys::raw_output();
    out.set_line_buffered();  // serve streams what a child writes as it writes it
    err.set_line_buffered();
  }
  perf.dispatched();
  int status = run_command(*cmd, {prog, prog_len},
                           {argv + first, static_cast<size_t>(argc - first)}, out, err,
                           {.one_shot = true, .no_input_why = no_input});
  if (!out.flush() && status == kOk) {
    err.line("hvym: cannot write the result to standard output");
    status = kFailed;
  }
  err.flush();
  perf.report(status, err);
  return status;
}

}  // namespace hvym
