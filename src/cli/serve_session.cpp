#include "cli/serve_session.h"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <system_error>
#include <thread>
#include <vector>

#include "cli/batch.h"
#include "cli/table.h"
#include "unit/command.h"
#include "cli/serve_rpc.h"
#include "cli/watch.h"
#include "json/json_writer.h"
#include "platform/fs.h"
#include "platform/process.h"
#include "platform/wipe.h"
#include "simdjson.h"

namespace hvym::serve {
namespace {

// A program's name as a caller may give it in `prog` ("hvym-linux",
// "hvym-windows.exe"): letters, digits, '.', '_', '+', '-', not starting
// with '-' or '.', at most 100 bytes. It becomes a child's argv[0] (on
// Windows, part of its command line), so nothing else gets through.
bool program_name(std::string_view p) {
  if (p.empty() || p.size() > 100 || p[0] == '-' || p[0] == '.') return false;
  for (char c : p)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '+' || c == '-'))
      return false;
  return true;
}

using rpc::Id;

constexpr size_t kMaxLine = 1 << 20;
constexpr int kSpinUs = 200;          // how long a connection looks for a next line before sleeping
constexpr size_t kMaxRunning = 64;    // requests of one connection running at once
constexpr size_t kKeepIdle = 4;       // of its workers, how many stay for the next request
constexpr size_t kMaxWaiting = 1000;  // more wait for a turn; past that: not run
constexpr size_t kMaxWaitingBytes = size_t{64} << 20;  // and what they hold (args, stdin)

// Why a request was stopped.
enum Why : int { kRunning = 0, kCancelledWhy = 1, kStoppingWhy = 2 };

// A request in flight: its id and the pipe that stops it.
struct Running {
  Id id;
  int cancel[2] = {-1, -1};
  std::atomic<int> why{kRunning};
  ~Running() {
    close_fd(cancel[0]);
    close_fd(cancel[1]);
  }
  void stop(int reason) {
    int none = kRunning;
    // Once: the pipe is never drained, so a byte per cancel would fill it
    // (and block the canceller, holding the connection's lock).
    if (why.compare_exchange_strong(none, reason)) poke_fd(cancel[1]);
  }
};

struct Job {
  std::shared_ptr<Running> running;
  bool is_batch = false;
  batch::Request request;                // run
  std::vector<batch::Request> requests;  // batch
  std::vector<std::string> env;          // the connection's and the request's variables (none: empty)
  std::string cwd;
  bool output = true;
  bool ask = false;
  size_t bytes = 0;  // what it holds while it waits
};

// A question sent to the client, waiting for its answer.
struct PendingAsk {
  bool done = false;
  bool answered = false;
  std::string answer;
};

// Sends to a client, its buffer wiped after (answers may carry secret keys).
class ConnectionSink : public Sink {
 public:
  explicit ConnectionSink(endpoint::Connection& c) : Sink(&ConnectionSink::send, &c) {}
  ~ConnectionSink() {
    flush();
    wipe_buffer();
  }

 private:
  static bool send(void* ctx, const char* data, size_t n) {
    return static_cast<endpoint::Connection*>(ctx)->send({data, n});
  }
};

bool blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

bool absolute(std::string_view p) {
  if (!p.empty() && (p[0] == '/' || p[0] == '\\')) return true;
  return p.size() >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/');
}

bool run_only_key(std::string_view k) { return k == "env" || k == "cwd" || k == "output" || k == "prog"; }

class Session {
 public:
  Session(Server& server, endpoint::Connection& c) : server_(server), c_(c) {
    if (empty_parser_.parse("{}", 2).get(empty_)) empty_ = {};
  }
  void serve();

  // Relays one question of a child (a JSON object line) to the client and
  // returns the line for the child.
  std::string relay(Running& r, std::string_view question, const std::atomic<bool>& ending);
  void wake() {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
  bool send(std::string_view line) {
    std::lock_guard lock(send_mu_);
    return c_.send(line);
  }

 private:
  int read_lines();
  void line(std::string_view text);
  // line(), where memory that cannot be had fails that line alone.
  void safely(std::string_view text) {
    try {
      line(text);
    } catch (const std::bad_alloc&) {
      try {
        send(rpc::error(nullptr, rpc::kTooLarge, "the server has no memory for this line now; try again"));
      } catch (const std::bad_alloc&) {
      }
    }
  }
  void legacy(std::string_view text);
  void message(simdjson::dom::object msg);
  void response(const Id& id, simdjson::dom::object msg);
  void hello(const Id& id, simdjson::dom::object params);
  void submit(const Id& id, simdjson::dom::object params, simdjson::dom::element whole, bool is_batch);
  void cancel(const Id* id, simdjson::dom::object params);
  void watch(const Id& id, simdjson::dom::object params);
  void unwatch(const Id& id, simdjson::dom::object params);
  void send_changes();
  void end_watches();
  void start(Job job);
  void work();
  void execute(Job& job);
  void answer(const Running& r, batch::Result& res);
  void finished(const Running& r);
  void stop_all(int why);
  std::string read_env(simdjson::dom::element e, std::vector<std::string>& out);
  std::string read_cwd(simdjson::dom::element e, std::string& out);

  Server& server_;
  endpoint::Connection& c_;
  batch::RequestParser parser_;  // one per connection: its buffers reused line after line
  simdjson::dom::parser empty_parser_;
  simdjson::dom::element empty_;  // the params of a request that gives none
  std::mutex send_mu_;           // one line at a time on the connection
  std::mutex mu_;                // what follows
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Running>> running_;  // by Id::key(), queued ones too
  std::deque<Job> waiting_;
  size_t waiting_bytes_ = 0;  // their requests' arguments and input
  size_t workers_ = 0;  // threads serving this connection's requests
  size_t idle_ = 0;     // of those, waiting for one
  // Watches (cli/watch.h): by number; those whose result was sent (their
  // changes may go out); whether the hub has changes for them; whether the
  // thread that sends them runs.
  std::map<int, std::shared_ptr<watch::Subscription>> watches_;
  std::set<int> watches_told_;
  int next_watch_ = 0;
  bool sender_ = false;
  // The sender's sleep: apart from mu_, so the hub never waits on this
  // connection's other work.
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool changes_waiting_ = false;
  bool sender_ending_ = false;
  std::map<std::string, PendingAsk*> asks_;
  long long next_ask_ = 1;
  bool closing_ = false;
  // From hello.
  bool can_ask_ = false;
  std::vector<std::string> env_;
  std::string cwd_;
  Slot slot_;  // what make_room() sees of this connection
};

// --- a request's output, sent as `output` notifications in whole lines ---
struct Output {
  Session* session;
  const Id* id;
  std::string pending[2];

  static void take(void* ctx, int stream, std::string_view data) {
    try {
      static_cast<Output*>(ctx)->add(stream, data);
    } catch (const std::bad_alloc&) {  // the notification is lost; the result still has it all
    }
  }
  void add(int stream, std::string_view data) {
    int k = stream == 2 ? 1 : 0;
    std::string& p = pending[k];
    p.append(data);
    size_t nl = p.rfind('\n');
    if (nl != std::string::npos) emit(k, nl + 1);
    else if (p.size() >= 65536) emit(k, p.size());
  }
  void emit(int k, size_t n) {
    std::string params = rpc::object([&](JsonWriter& w) {
      w.key("id");
      id->write(w);
      w.key("stream");
      w.string(k == 0 ? "stdout" : "stderr");
      w.key("text");
      w.string(std::string_view(pending[k]).substr(0, n));
    });
    std::string text = rpc::notification("output", params);
    session->send(text);
    wipe(text), wipe(params);
    wipe(pending[k].data(), n);
    pending[k].erase(0, n);
  }
  void finish() {
    for (int k = 0; k < 2; ++k)
      if (!pending[k].empty()) emit(k, pending[k].size());
  }
};

// --- questions of a child, relayed to the client ---
class Asker {
 public:
  Asker(Session& s, Running& r) : s_(s), r_(r) {}
  ~Asker() { finish(); }
  bool start() {
    if (!make_socket_pair(fds_)) return false;
    try {
      relay_ = std::thread([this] { loop(); });
    } catch (const std::system_error&) {
      close_fd(fds_[0]), close_fd(fds_[1]);
      fds_[0] = fds_[1] = -1;
      return false;
    }
    return true;
  }
  int child_fd() const { return fds_[1]; }
  void finish() {
    if (!relay_.joinable()) return;
    ending_ = true;
    shutdown_socket(fds_[0]);
    s_.wake();
    relay_.join();
    close_fd(fds_[0]), close_fd(fds_[1]);
  }

 private:
  void loop() {
    try {
      relay_lines();
    } catch (const std::bad_alloc&) {  // the child's question fails: it sees the channel end
      shutdown_socket(fds_[0]);
    }
  }
  void relay_lines() {
    std::string buf;
    char chunk[4096];
    while (true) {
      long long n = fs::read_some(fds_[0], chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;  // a signal for the server (SIGTERM) came to this thread
      if (n <= 0) break;
      buf.append(chunk, static_cast<size_t>(n));
      wipe(chunk, static_cast<size_t>(n));
      if (buf.size() > kMaxLine) break;  // not a question of ours
      size_t nl;
      while ((nl = buf.find('\n')) != std::string::npos) {
        std::string reply = s_.relay(r_, std::string_view(buf).substr(0, nl), ending_);
        reply += '\n';
        bool sent = write_fd(fds_[0], reply);
        wipe(reply);
        wipe(buf.data(), nl + 1);
        buf.erase(0, nl + 1);
        if (!sent) return wipe(buf);
      }
    }
    wipe(buf);
  }

  Session& s_;
  Running& r_;
  int fds_[2] = {-1, -1};
  std::thread relay_;
  std::atomic<bool> ending_{false};
};

std::string Session::relay(Running& r, std::string_view question, const std::atomic<bool>& ending) {
  auto reply = [](auto&& body) { return rpc::object(body); };
  // The question is our own child's: an object on one line.
  simdjson::dom::parser parser;
  simdjson::dom::object q;
  std::string_view kind;
  if (parser.parse(question.data(), question.size()).get(q) || q["kind"].get(kind))
    return reply([](JsonWriter& w) { w.key("refused"), w.string("a question hvym serve could not read"); });
  size_t open = question.find('{'), close = question.rfind('}');  // an object: both are there
  std::string_view fields = question.substr(open + 1, close - open - 1);
  std::string id_json = rpc::id_json(r.id);
  std::string params = "{\"request\": " + id_json + (blank(fields) ? "" : ", " + std::string(fields)) + "}";
  if (kind == "splash" || kind == "busy") {
    send(rpc::notification("show", params));
    return reply([](JsonWriter&) {});
  }
  PendingAsk pending;
  std::string ask_id;
  {
    std::lock_guard lock(mu_);
    if (closing_) return reply([](JsonWriter& w) { w.key("refused"), w.string("the client that would answer is gone"); });
    ask_id = "hvym-" + std::to_string(next_ask_++);
    asks_[ask_id] = &pending;
  }
  std::string line = rpc::request(ask_id, "ask", params);
  bool sent = send(line);
  wipe(line), wipe(params);
  std::unique_lock lock(mu_);
  if (sent) cv_.wait(lock, [&] { return pending.done || r.why != kRunning || ending || closing_; });
  asks_.erase(ask_id);
  lock.unlock();
  std::string out;
  if (pending.done && pending.answered)
    out = reply([&](JsonWriter& w) { w.key("answer"), w.string(pending.answer); });
  else if (pending.done)
    out = reply([](JsonWriter& w) { w.key("cancelled"), w.boolean(true); });
  else
    out = reply([](JsonWriter& w) { w.key("refused"), w.string("the client that would answer is gone"); });
  wipe(pending.answer);
  return out;
}

// --- reading ---

void Session::serve() {
  slot_.c = &c_;
  slot_.heard = now_ms();
  {
    std::lock_guard lock(server_.slots_mu);
    server_.slots.push_back(&slot_);
  }
  int why = kCancelledWhy;  // what ends the requests still running: the client left
  try {
    why = read_lines();
  } catch (const std::bad_alloc&) {  // no memory to read on: this connection ends, alone
  }
  {
    std::lock_guard lock(server_.slots_mu);
    std::erase(server_.slots, &slot_);
  }
  // Everything this client started stops; its requests answer (when it is
  // still there to read them) before the connection goes.
  stop_all(why);
  end_watches();
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return workers_ == 0; });
}

// Reads and answers lines until the client leaves (kCancelledWhy) or the
// server stops (kStoppingWhy).
int Session::read_lines() {
  std::string buf;
  bool skipping = false;  // inside an oversized line: drop until its end
  char chunk[65536];
  int spin_us = 0;
  int why = kCancelledWhy;
  struct Wiped {  // lines may have carried passphrases
    std::string& buf;
    ~Wiped() { wipe(buf); }
  } wiped{buf};
  while (true) {
    // A silent connection wakes when it may have been silent kIdleMs (no
    // timer ticks while it waits).
    long long quiet_for = now_ms() - slot_.heard;
    int wait_ms = static_cast<int>(slot_.busy > 0 ? kIdleMs : std::max<long long>(kIdleMs - quiet_for, 1000));
    long long n = c_.receive(chunk, sizeof chunk, server_.stopping, spin_us, wait_ms);
    if (n == -3) {  // silent: closed when it has been so too long with nothing in flight
      if (slot_.busy == 0 && now_ms() - slot_.heard > kIdleMs) break;
      spin_us = 0;
      continue;
    }
    if (n <= 0) {
      // The client closed its side: a last line without its line end is
      // still a request (printf '["check"]' | nc -U ...).
      if (n == 0 && !skipping && buf.size() <= kMaxLine && !blank(buf)) safely(buf);
      if (n == -2) why = kStoppingWhy;
      break;
    }
    spin_us = kSpinUs;
    server_.last_activity = now_ms();
    slot_.heard = now_ms();
    size_t start = buf.size();
    buf.append(chunk, static_cast<size_t>(n));
    // Every complete line read is accepted: it is answered even when a
    // stop comes meanwhile.
    size_t from = 0, nl;
    while ((nl = buf.find('\n', std::max(from, start))) != std::string::npos) {
      std::string_view text(buf.data() + from, nl - from);
      if (skipping) skipping = false;
      else if (text.size() > kMaxLine) send(rpc::too_large(text));
      else if (!blank(text)) safely(text);
      from = nl + 1;
      start = from;
    }
    wipe(buf.data(), from);  // lines answered: they may have carried passphrases
    wipe(chunk, static_cast<size_t>(n));
    buf.erase(0, from);
    if (buf.size() > kMaxLine && !skipping) {
      send(rpc::too_large(buf));
      skipping = true;
    }
    if (skipping) buf.clear();
    server_.last_activity = now_ms();
  }
  return why;
}

void Session::stop_all(int why) {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    for (auto& [key, r] : running_) r->stop(why);
    cv_.notify_all();
  }
  std::lock_guard lock(wake_mu_);
  sender_ending_ = true;
  wake_cv_.notify_one();
}

void Session::line(std::string_view text) {
  simdjson::dom::object msg;
  simdjson::dom::element root;
  if (text.find("\"jsonrpc\"") == std::string_view::npos ||
      parser_.get().parse(text.data(), text.size()).get(root) || root.get(msg) || msg["jsonrpc"].error()) {
    if (rpc::looks_like_protocol(text)) return void(send(rpc::malformed(text)));
    return legacy(text);
  }
  message(msg);
}

// A batch line (docs/batch.md), answered in order as it is written.
void Session::legacy(std::string_view text) {
  std::vector<batch::Request> requests;
  std::string error;
  size_t offset = 0;
  if (!batch::parse_requests(parser_, text, true, requests, error, offset)) {
    send(rpc::legacy_error("malformed request: " + error, &offset));
    return;
  }
  ++slot_.busy;
  struct Done {
    Slot& s;
    ~Done() { --s.busy; }
  } done{slot_};
  {
    std::lock_guard lock(send_mu_);
    ConnectionSink sink(c_);  // the answer goes out as it is written: no second copy of a large one
    batch::run(requests, sink, {.cancel_fd = server_.stopping.cancel_fd(), .budget = &server_.budget});
    sink.put('\n');
    sink.flush();
  }
  for (batch::Request& r : requests) wipe(r.input);
}

void Session::message(simdjson::dom::object msg) {
  std::string_view version;
  Id id;
  bool has_id = false;
  simdjson::dom::element e;
  if (!msg["id"].get(e)) {
    if (!rpc::read_id(e, id)) return void(send(rpc::error(nullptr, rpc::kInvalidRequest, "\"id\" must be a number or a string")));
    has_id = true;
  }
  const Id* idp = has_id ? &id : nullptr;
  if (msg["jsonrpc"].get(version) || version != "2.0")
    return void(send(rpc::error(idp, rpc::kInvalidRequest, "\"jsonrpc\" must be \"2.0\"")));
  std::string_view method;
  if (msg["method"].error() == simdjson::NO_SUCH_FIELD) {  // a response: the client answers an `ask`
    if (has_id) response(id, msg);
    return;
  }
  if (msg["method"].get(method)) return void(send(rpc::error(idp, rpc::kInvalidRequest, "\"method\" must be a string")));
  simdjson::dom::element p = empty_;  // none given: no params
  simdjson::dom::object params;
  if (msg["params"].get(p)) p = empty_;
  if (p.get(params))
    return void(send(rpc::error(idp, rpc::kInvalidParams, "\"params\" must be an object")));
  for (auto field : msg) {
    std::string_view k = field.key;
    if (k != "jsonrpc" && k != "id" && k != "method" && k != "params")
      return void(send(rpc::unknown_key(idp, k)));
  }
  if (method == "cancel" || method == "$/cancelRequest") return cancel(idp, params);
  if (!has_id) return void(send(rpc::error(nullptr, rpc::kInvalidRequest, "a request needs an \"id\" (only cancel may be a notification)")));
  if (method == "hello") return hello(id, params);
  if (method == "run") return submit(id, params, p, false);
  if (method == "batch") return submit(id, params, p, true);
  if (method == "watch") return watch(id, params);
  if (method == "unwatch") return unwatch(id, params);
  if (method == "shutdown") {
    send(rpc::result(id, "{}"));
    if (server_.requested) server_.requested->set();
    return;
  }
  send(rpc::error(&id, rpc::kNoMethod, "no method \"" + std::string(method) + "\" (hello, run, batch, cancel, shutdown, watch, unwatch)"));
}

void Session::response(const Id& id, simdjson::dom::object msg) {
  if (!id.is_text) return;
  std::lock_guard lock(mu_);
  auto it = asks_.find(id.text);
  if (it == asks_.end()) return;  // a question no longer waited for
  PendingAsk& p = *it->second;
  simdjson::dom::object result;
  std::string_view answer;
  bool cancelled = false;
  if (!msg["result"].get(result)) {
    if (!result["cancelled"].get(cancelled) && cancelled) p.answered = false;
    else if (!result["answer"].get(answer)) p.answered = true, p.answer.assign(answer);
  }
  p.done = true;
  cv_.notify_all();
}

std::string Session::read_env(simdjson::dom::element e, std::vector<std::string>& out) {
  simdjson::dom::object vars;
  if (e.get(vars)) return "\"env\" must be an object of variable names to text or null";
  for (auto field : vars) {
    std::string_view name = field.key, value;
    if (name.empty() || name.find('=') != std::string_view::npos || name.find('\0') != std::string_view::npos)
      return "\"env\" has a bad variable name \"" + std::string(name) + "\"";
    if (field.value.is_null()) {
      out.emplace_back(name);
      continue;
    }
    if (field.value.get(value) || value.find('\0') != std::string_view::npos)
      return "\"env\": " + std::string(name) + " must be text (without NUL) or null";
    out.push_back(std::string(name) + "=" + std::string(value));
  }
  return "";
}

std::string Session::read_cwd(simdjson::dom::element e, std::string& out) {
  std::string_view dir;
  if (e.get(dir) || !absolute(dir)) return "\"cwd\" must be an absolute path";
  out.assign(dir);
  if (fs::kind_of(out) != fs::Kind::Dir) return "\"cwd\": " + out + " is not a folder";
  return "";
}

void Session::hello(const Id& id, simdjson::dom::object params) {
  int64_t protocol = 0;
  bool ask = false;
  std::vector<std::string> env;
  std::string cwd, why;
  simdjson::dom::element e;
  for (auto field : params) {
    std::string_view k = field.key;
    if (k != "protocol" && k != "client" && k != "ask" && k != "env" && k != "cwd") return void(send(rpc::unknown_key(&id, k)));
  }
  if (params["protocol"].get(protocol)) return void(send(rpc::error(&id, rpc::kInvalidParams, "hello needs \"protocol\", a whole number")));
  if (protocol != kProtocol) return void(send(rpc::unsupported(id)));
  if (!params["ask"].get(e) && e.get(ask)) return void(send(rpc::error(&id, rpc::kInvalidParams, "\"ask\" must be true or false")));
  if (!params["client"].get(e) && !e.is_string()) return void(send(rpc::error(&id, rpc::kInvalidParams, "\"client\" must be text")));
  bool has_env = !params["env"].get(e);
  if (has_env && !(why = read_env(e, env)).empty()) return void(send(rpc::error(&id, rpc::kInvalidParams, why)));
  if (!params["cwd"].get(e) && !(why = read_cwd(e, cwd)).empty()) return void(send(rpc::error(&id, rpc::kInvalidParams, why)));
  bool relays = rpc::can_relay();
  {
    std::lock_guard lock(mu_);
    can_ask_ = ask && relays;
    if (has_env) env_ = std::move(env);
    if (!cwd.empty()) cwd_ = std::move(cwd);
  }
  send(rpc::hello_result(id, server_.address, relays, server_.active.load()));
}

void Session::submit(const Id& id, simdjson::dom::object params, simdjson::dom::element whole, bool is_batch) {
  Job job;
  job.is_batch = is_batch;
  std::string why;
  std::vector<std::string> env;
  simdjson::dom::element e;
  if (is_batch) {
    for (auto field : params)
      if (field.key != "requests" && field.key != "env" && field.key != "cwd") return void(send(rpc::unknown_key(&id, field.key)));
    simdjson::dom::array list;
    if (params["requests"].get(list)) return void(send(rpc::error(&id, rpc::kInvalidParams, "batch needs \"requests\", an array")));
    if (list.size() > batch::kMaxRequests)
      return void(send(rpc::error(&id, rpc::kInvalidParams, "more than " + std::to_string(batch::kMaxRequests) + " requests at once")));
    size_t n = 0;
    for (auto v : list) {
      ++n;
      batch::Request r;
      why = batch::read_request(v, r);
      if (!why.empty()) return void(send(rpc::error(&id, rpc::kInvalidParams, "request " + std::to_string(n) + ": " + why)));
      job.requests.push_back(std::move(r));
    }
  } else {
    why = batch::read_request(whole, job.request, run_only_key);
    if (!why.empty()) {
      if (why.starts_with("unknown key")) {
        for (auto field : params)
          if (!batch::known_request_key(field.key) && !run_only_key(field.key)) return void(send(rpc::unknown_key(&id, field.key)));
      }
      return void(send(rpc::error(&id, rpc::kInvalidParams, why)));
    }
    if (!params["output"].get(e) && e.get(job.output)) return void(send(rpc::error(&id, rpc::kInvalidParams, "\"output\" must be true or false")));
    std::string_view prog;
    if (!params["prog"].get(e)) {  // how the caller names hvym ("hvym-linux"): in messages as a subprocess's
      if (e.get(prog) || !program_name(prog) || find_command(prog))
        return void(send(rpc::error(&id, rpc::kInvalidParams, "\"prog\" must be a program name (not a path, not a command)")));
      job.request.prog.assign(prog);
    }
  }
  if (!params["env"].get(e) && !(why = read_env(e, env)).empty())
    return void(send(rpc::error(&id, rpc::kInvalidParams, why)));
  if (!params["cwd"].get(e) && !(why = read_cwd(e, job.cwd)).empty()) return void(send(rpc::error(&id, rpc::kInvalidParams, why)));
  {
    std::lock_guard lock(mu_);
    if (job.cwd.empty()) job.cwd = cwd_;
    job.env = std::move(env);
    for (const std::string& v : env_) {  // the connection's, where the request says nothing
      std::string_view name = std::string_view(v).substr(0, v.find('='));
      bool given = false;
      for (const std::string& mine : job.env) given |= std::string_view(mine).substr(0, mine.find('=')) == name;
      if (!given) job.env.push_back(v);
    }
    job.ask = can_ask_ && !is_batch;
  }
  job.running = std::make_shared<Running>();
  job.running->id = id;
  if (!make_pipe(job.running->cancel)) return void(send(rpc::error(&id, rpc::kNotRun, "cannot make a pipe")));
  // A query or data command that runs in-process answers in microseconds:
  // run here, as a batch line is, rather than hand it to a worker (whose
  // wake-up costs more than the answer). Probes (bounded in seconds) and
  // children go to workers, so nothing waits behind them.
  // A probe of the engine: the server follows the engine's events from now
  // on, and the next one answers from what it knows.
  if (!is_batch && !job.request.argv.empty() && watch::asks_engine(job.request.argv[0])) watch::engine_probe_asked();
  for (const batch::Request& q : job.requests)
    if (!q.argv.empty() && watch::asks_engine(q.argv[0])) watch::engine_probe_asked();
  const Command* cmd = is_batch || job.request.argv.empty() ? nullptr : find_command(job.request.argv[0]);
  if (cmd && !(cmd->needs & kProbe) && batch::runs_in_process(*cmd, job.env.empty() ? nullptr : &job.env)) {
    ++slot_.busy;
    try {
      execute(job);
    } catch (const std::bad_alloc&) {
      --slot_.busy;
      throw;  // safely() answers it
    }
    --slot_.busy;
    return;
  }
  start(std::move(job));
}

void Session::cancel(const Id* id, simdjson::dom::object params) {
  simdjson::dom::element e;
  Id target;
  for (auto field : params)
    if (field.key != "id") return id ? void(send(rpc::unknown_key(id, field.key))) : void();
  if (params["id"].get(e) || !rpc::read_id(e, target)) {
    if (id) send(rpc::error(id, rpc::kInvalidParams, "cancel needs \"id\", a number or a string"));
    return;
  }
  bool found = false;
  {
    std::lock_guard lock(mu_);
    auto it = running_.find(target.key());
    if (it != running_.end()) found = true, it->second->stop(kCancelledWhy);
    cv_.notify_all();  // a question it waits on is given up
  }
  if (id) send(rpc::result(*id, found ? "{\"cancelled\": true}" : "{\"cancelled\": false}"));
}

// --- watches ---

void Session::watch(const Id& id, simdjson::dom::object params) {
  for (auto field : params)
    if (field.key != "topics") return void(send(rpc::unknown_key(&id, field.key)));
  simdjson::dom::array list;
  if (params["topics"].get(list) || list.size() == 0 || list.size() > watch::kMaxTopics)
    return void(send(rpc::error(&id, rpc::kInvalidParams,
                                "watch needs \"topics\", an array of 1 to " + std::to_string(watch::kMaxTopics) + " names")));
  auto sub = std::make_shared<watch::Subscription>();
  for (auto v : list) {
    std::string_view t;
    if (v.get(t)) return void(send(rpc::error(&id, rpc::kInvalidParams, "\"topics\" must hold names (text)")));
    if (!watch::is_topic(t)) return void(send(rpc::bad_param(&id, "\"" + std::string(t) + "\" cannot be watched", "topic", t)));
    if (std::find(sub->topics.begin(), sub->topics.end(), t) != sub->topics.end())
      return void(send(rpc::bad_param(&id, "\"" + std::string(t) + "\" is named twice", "topic", t)));
    sub->topics.emplace_back(t);
  }
  bool full;
  {
    std::lock_guard lock(mu_);
    full = watches_.size() >= watch::kMaxPerConnection;
    if (!full) sub->number = ++next_watch_;
  }
  if (full)  // sent without mu_: a send may wait on a client that does not read
    return void(send(rpc::error(&id, rpc::kNotRun, "not watched: " + std::to_string(watch::kMaxPerConnection) +
                                                        " watches are open on this connection")));
  // The hub calls this holding its lock: it takes only wake_mu_, which is
  // never held for longer than setting a flag.
  sub->wake = [this] {
    std::lock_guard lock(wake_mu_);
    changes_waiting_ = true;
    wake_cv_.notify_one();
  };
  std::string result, why;
  if (!watch::subscribe(sub, result, why)) return void(send(rpc::error(&id, rpc::kNotRun, "not watched: " + why)));
  bool start_sender = false;
  {
    std::lock_guard lock(mu_);
    watches_[sub->number] = sub;
    ++slot_.busy;  // a watching client is never closed for its silence
    if (!sender_ && !closing_) start_sender = sender_ = true, ++workers_;
  }
  if (start_sender) {
    try {
      std::thread([this] { send_changes(); }).detach();
    } catch (const std::system_error&) {
      {
        std::lock_guard lock(mu_);
        sender_ = false, --workers_;
        watches_.erase(sub->number);
        --slot_.busy;
      }
      watch::unsubscribe(sub.get());  // not under mu_: the hub wakes a watch holding its lock, then takes mu_
      return void(send(rpc::error(&id, rpc::kNotRun, "not watched: no thread to send its changes")));
    }
  }
  send(rpc::result(id, result));
  wipe(result);  // values may hold the Pinggy token
  {
    std::lock_guard lock(mu_);
    watches_told_.insert(sub->number);  // what changed meanwhile goes out now, after the result
  }
  sub->wake();
}

void Session::unwatch(const Id& id, simdjson::dom::object params) {
  for (auto field : params)
    if (field.key != "watch") return void(send(rpc::unknown_key(&id, field.key)));
  int64_t n = 0;
  if (params["watch"].get(n)) return void(send(rpc::error(&id, rpc::kInvalidParams, "unwatch needs \"watch\", a whole number")));
  std::shared_ptr<watch::Subscription> sub;
  {
    std::lock_guard lock(mu_);
    auto it = watches_.find(static_cast<int>(n));
    if (it != watches_.end() && it->first == n) {
      sub = it->second;
      watches_.erase(it);
      watches_told_.erase(static_cast<int>(n));
      --slot_.busy;
    }
  }
  if (sub) watch::unsubscribe(sub.get());
  send(rpc::result(id, sub ? "{\"unwatched\": true}" : "{\"unwatched\": false}"));
}

// The thread that sends this connection's `changed` notifications: it sleeps
// until the hub has something for one of its watches.
void Session::send_changes() {
  bool broken = false;
  while (!broken) {
    {
      std::unique_lock wait(wake_mu_);
      wake_cv_.wait(wait, [&] { return changes_waiting_ || sender_ending_; });
      if (sender_ending_) break;
      changes_waiting_ = false;
    }
    std::vector<std::shared_ptr<watch::Subscription>> told;
    {
      std::lock_guard lock(mu_);
      if (closing_) break;
      for (int n : watches_told_) told.push_back(watches_[n]);
    }
    for (auto& sub : told) {
      std::string params = watch::take_change(*sub);
      if (params.empty()) continue;
      std::string line = rpc::notification("changed", params);
      broken = !send(line);
      wipe(line), wipe(params);  // values may hold the Pinggy token
      if (broken) {
        // Part of a line may be out, and the watch counts it told: the
        // client could never trust what follows. The connection ends; a
        // client that comes back watches afresh.
        c_.interrupt();
        break;
      }
    }
  }
  std::lock_guard lock(mu_);
  sender_ = false;
  --workers_;
  cv_.notify_all();
}

void Session::end_watches() {
  std::map<int, std::shared_ptr<watch::Subscription>> gone;
  {
    std::lock_guard lock(mu_);
    gone.swap(watches_);
    watches_told_.clear();
    slot_.busy -= static_cast<int>(gone.size());
  }
  for (auto& [n, sub] : gone) watch::unsubscribe(sub.get());
}

// --- running ---

void Session::start(Job job) {
  std::unique_lock lock(mu_);
  Id id = job.running->id;
  std::string key = id.key();
  if (running_.count(key)) {
    lock.unlock();
    send(rpc::error(&id, rpc::kInvalidRequest, "a request with this id is in flight already"));
    return;
  }
  job.bytes = job.request.input.size();
  for (const std::string& a : job.request.argv) job.bytes += a.size();
  for (const batch::Request& r : job.requests) {
    job.bytes += r.input.size();
    for (const std::string& a : r.argv) job.bytes += a.size();
  }
  if (waiting_.size() >= kMaxWaiting || waiting_bytes_ + job.bytes > kMaxWaitingBytes ||
      !server_.budget.take(job.bytes)) {
    lock.unlock();
    send(rpc::error(&id, rpc::kNotRun, "not run: over " + std::to_string(kMaxWaiting) + " requests (or " +
                                           std::to_string(kMaxWaitingBytes >> 20) + " MiB) wait on this connection"));
    return;
  }
  running_[key] = job.running;
  ++slot_.busy;  // until a worker has answered it
  waiting_bytes_ += job.bytes;
  waiting_.push_back(std::move(job));
  // A worker that is idle takes it; else a new one, up to kMaxRunning;
  // else it waits for the first to finish.
  if (idle_ > 0) return cv_.notify_all();
  if (workers_ >= kMaxRunning) return;
  ++workers_;
  try {
    std::thread([this] { work(); }).detach();
  } catch (const std::system_error&) {
    if (--workers_ > 0) return;  // a running worker takes it when done
    waiting_bytes_ -= waiting_.back().bytes;
    server_.budget.give(waiting_.back().bytes);
    waiting_.pop_back();
    running_.erase(key);
    --slot_.busy;
    lock.unlock();
    send(rpc::error(&id, rpc::kNotRun, "not run: no thread for it"));
  }
}

// A worker of this connection: runs what waits, then waits (no timer) for
// more until the connection ends: a thread is started once, not per request.
void Session::work() {
  std::unique_lock lock(mu_);
  while (true) {
    if (!waiting_.empty()) {
      Job job = std::move(waiting_.front());
      waiting_.pop_front();
      waiting_bytes_ -= job.bytes;
      server_.budget.give(job.bytes);
      lock.unlock();
      try {
        execute(job);
      } catch (const std::bad_alloc&) {  // this request fails, not the server
        try {
          send(rpc::error(&job.running->id, rpc::kTooLarge, "the server had no memory for this request"));
        } catch (const std::bad_alloc&) {
        }
      }
      finished(*job.running);  // answered already, unless it failed before its answer
      lock.lock();
      --slot_.busy;
      continue;
    }
    if (closing_ || idle_ >= kKeepIdle) break;  // a few wait for the next request; the rest end
    ++idle_;
    cv_.wait(lock, [&] { return !waiting_.empty() || closing_; });
    --idle_;
  }
  --workers_;
  cv_.notify_all();
}

void Session::execute(Job& job) {
  Running& r = *job.running;
  batch::Limits limits;
  limits.cancel_fd = r.cancel[0];
  limits.budget = &server_.budget;
  limits.env = job.env.empty() ? nullptr : &job.env;
  limits.cwd = job.cwd;
  if (job.is_batch) {
    std::string out;
    {
      SecretStringSink sink(out);
      batch::run(job.requests, sink, limits);
    }
    finished(r);
    {  // the array as it is, between its head and its end: no second copy
      std::lock_guard lock(send_mu_);
      c_.send(rpc::result_head(r.id)) && c_.send(out) && c_.send("}\n");
    }
    wipe(out);
    for (batch::Request& q : job.requests) wipe(q.input);
    return;
  }
  Output output{this, &r.id, {}};
  if (job.output) limits.on_output = &Output::take, limits.output_ctx = &output;
  Asker asker(*this, r);
  const Command* cmd = job.request.argv.empty() ? nullptr : find_command(job.request.argv[0]);
  // Only a command that may ask gets the channel: the others never need it.
  if (job.ask && cmd && (cmd->needs & (kMayPrompt | kOwnWrites)) && asker.start()) limits.ask_fd = asker.child_fd();
  // A client that answers nothing: the command asks as a subprocess of the
  // caller would (a dialog program of the request's environment).
  limits.asks_locally = !job.ask;
  batch::Result res;
  batch::run_single(job.request, res, limits);
  asker.finish();
  output.finish();
  wipe(output.pending[0]), wipe(output.pending[1]);
  answer(r, res);
  wipe(res.out), wipe(res.err), wipe(job.request.input);
  server_.budget.give(res.charged);
}

// Replaces batch's own last line (written for a server that stops) when
// the request was cancelled instead.
void say_cancelled(batch::Result& res) {
  size_t cut = res.err.rfind("hvym: " + res.cmd + ": ");
  if (cut != std::string::npos) res.err.erase(cut);
  res.err += "hvym: " + res.cmd + ": cancelled; stopped.\n";
}

// The request is no longer in flight: a cancel after its answer finds
// nothing, and its id may be used again. Only this very request is removed.
void Session::finished(const Running& r) {
  std::lock_guard lock(mu_);
  auto it = running_.find(r.id.key());
  if (it != running_.end() && it->second.get() == &r) running_.erase(it);
}

void Session::answer(const Running& r, batch::Result& res) {
  finished(r);
  int code = 0;
  switch (res.ended) {
    case batch::Ended::Normally: break;
    case batch::Ended::TimedOut: code = rpc::kTimeout; break;
    case batch::Ended::OverBudget: code = rpc::kTooLarge; break;
    case batch::Ended::Cancelled: code = r.why == kStoppingWhy ? rpc::kStopping : rpc::kCancelled; break;
    case batch::Ended::NotRun: code = r.why == kCancelledWhy ? rpc::kCancelled : rpc::kNotRun; break;
  }
  if (code == rpc::kCancelled) say_cancelled(res);
  std::lock_guard lock(send_mu_);
  ConnectionSink sink(c_);  // streamed: a large answer is not copied
  rpc::run_answer(sink, r.id, code, res);
}

}  // namespace

bool make_room(Server& server) {
  std::lock_guard lock(server.slots_mu);
  Slot* quietest = nullptr;
  long long now = now_ms();
  for (Slot* s : server.slots)
    if (s->busy == 0 && now - s->heard > kRoomAfterMs && (!quietest || s->heard < quietest->heard)) quietest = s;
  if (!quietest) return false;
  quietest->heard = now;  // not chosen twice while it goes
  quietest->c->interrupt();
  return true;
}

void serve_connection(Server& server, endpoint::Connection& c) {
  Session s(server, c);
  s.serve();
}

void turn_away(endpoint::Connection& c, int limit) {
  endpoint::Stop never;
  std::string first;
  char chunk[4096];
  long long give_up = now_ms() + 2000;
  while (first.find('\n') == std::string::npos && first.size() < 65536) {
    long long left = give_up - now_ms();
    if (left <= 0) break;
    long long n = c.receive(chunk, sizeof chunk, never, 0, static_cast<int>(left));
    if (n <= 0) break;
    first.append(chunk, static_cast<size_t>(n));
  }
  c.send(rpc::too_many_clients(first.substr(0, first.find('\n')), limit));
  wipe(first);
}

}  // namespace hvym::serve
