#include "cli/serve_ensure.h"

#include "unit/args.h"
#include "cli/serve_session.h"
#include "json/json_writer.h"
#include "platform/endpoint.h"
#include "platform/lock.h"
#include "platform/net.h"
#include "platform/fs.h"
#include "platform/process.h"
#include "simdjson.h"
#include "store/paths.h"
#include "version.h"

namespace hvym::serve {
namespace {

constexpr long long kAnswerMs = 2000;   // a live server says hello within this
constexpr long long kStartMs = 5000;    // a started one answers within this
constexpr long long kStopMs = 5000;     // an old one is gone within this (it stops within 2 s)

// This binary's version, read where hello's answer reads it (through a
// volatile pointer, so the comparison is not folded into the code: the
// tests make "another version" by patching the text in a copy).
const char* volatile g_version = kHvymVersion;

bool is_pipe(const std::string& address) { return address.rfind("\\\\.\\pipe\\", 0) == 0; }

// What answers on the address: its version and pid after a hello.
struct Found {
  bool answers = false;
  std::string version;
  long long pid = 0;
};

bool read_line(net::Stream& s, std::string& line, long long deadline) {
  char buf[4096];
  while (line.find('\n') == std::string::npos) {
    if (line.size() > 65536) return false;
    long long n = s.receive(buf, sizeof buf, deadline);
    if (n <= 0) return false;
    line.append(buf, static_cast<size_t>(n));
  }
  line.resize(line.find('\n'));
  return true;
}

Found hello(net::Stream& s, const std::string& address, long long deadline) {
  Found f;
  std::string detail, line;
  net::Result r = is_pipe(address) ? s.connect_pipe(address, deadline, detail) : s.connect_unix(address, deadline, detail);
  if (r != net::Result::Ok) return f;
  std::string hello = "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"hello\", \"params\": {\"protocol\": " +
                      std::to_string(kProtocol) + ", \"client\": \"hvym serve --ensure\"}}\n";
  if (!s.send_all(hello, deadline, r, detail) || !read_line(s, line, deadline)) return f;
  simdjson::dom::parser parser;
  simdjson::dom::object result;
  std::string_view version;
  int64_t pid = 0;
  if (parser.parse(line).at_key("result").get(result) || result["hvym"].get(version)) {
    f.answers = true;  // something answers, but not a hello of ours: another version
    return f;
  }
  if (result["pid"].get(pid)) pid = 0;
  f.answers = true;
  f.version.assign(version);
  f.pid = pid;
  return f;
}

// Asks a server to stop and waits until it has (it closes the connection).
void stop_server(net::Stream& s) {
  net::Result r;
  std::string detail;
  long long deadline = now_ms() + kStopMs;
  if (!s.send_all("{\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": \"shutdown\"}\n", deadline, r, detail)) return;
  char buf[4096];
  while (s.receive(buf, sizeof buf, deadline) > 0) {
  }
}

int report(Call& call, const std::string& address, const Found& f, bool started) {
  JsonWriter w(call.out);
  w.begin_object();
  w.key("address"), w.string(address);
  w.key("pid"), w.integer(f.pid);
  w.key("version"), w.string(f.version);
  w.key("started"), w.boolean(started);
  w.end_object();
  call.out.put('\n');
  return kOk;
}

}  // namespace

int ensure(Call& call, const std::string& address, long long idle_s) {
  {
    net::Stream s;
    Found f = hello(s, address, now_ms() + kAnswerMs);
    if (f.answers && f.version == g_version) return report(call, address, f, false);
  }
  // Starters take turns: one starts, the others find it answering.
  std::string dir = data_dir(), error, ignored;
  if (dir.empty()) return failure(call, "no data folder: set HOME or HVYM_HOME.");
  StringSink quiet(ignored);
  ExclusiveLock lock;
  if (!lock_data_dir(lock, dir, quiet, error, "serve.lock")) return failure(call, error + ".");
  {
    net::Stream s;
    Found f = hello(s, address, now_ms() + kAnswerMs);
    if (f.answers && f.version == g_version) return report(call, address, f, false);
    if (f.answers) stop_server(s);  // another version (an upgrade): replaced
  }
  if (!endpoint::prepare_folder(address, error)) return failure(call, error);
  std::string log = is_pipe(address) ? dir + "/serve.log" : address + ".log";
  std::string exe = fs::self_exe();
  // Replaced on disk since it started (an upgrade): the new binary there.
  if (exe.ends_with(" (deleted)")) exe.resize(exe.size() - 10);
  std::vector<std::string> argv = {exe, "serve", "--socket", address, "--idle-exit", std::to_string(idle_s)};
  long pid = spawn_process(argv, {.out = SpawnSpec::AppendFile, .file = log, .err_to_out = true, .detach = true}, error);
  if (pid < 0) return failure(call, "cannot start the server: " + error + ".");
  long long give_up = now_ms() + kStartMs;
  while (now_ms() < give_up) {
    int status;
    if (process_ended(pid, status))
      return failure(call, "the server did not start (" + log + " says why).");
    net::Stream s;
    Found f = hello(s, address, now_ms() + 200);
    if (f.answers && f.version == g_version) return report(call, address, f, true);
    if (!f.answers) sleep_ms(2);  // not listening yet
  }
  return failure(call, "the server did not answer within " + std::to_string(kStartMs / 1000) + " s (see " + log + ").");
}

}  // namespace hvym::serve
