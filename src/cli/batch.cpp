#include "cli/batch.h"

#include <algorithm>
#include <cstdlib>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>

#include "store/config.h"
#include "cli/dispatch.h"
#include "cli/table.h"
#include "unit/input.h"
#include "platform/process.h"
#include "platform/sys.h"
#include "json/json_writer.h"
#include "json/pyjson.h"
#include "simdjson.h"
#include "store/store.h"
#include "cli/toplevel.h"
#include "platform/wipe.h"

namespace hvym::batch {
namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Threads that run probes, kept for the next batch: starting a thread costs
// more than most probes (a cached docker-installed, an image serve's engine
// follower knows), and serve answers batches of them all day. Made at the
// first probe, never destroyed (its threads live as long as the process).
class ProbePool {
 public:
  static ProbePool& get() {
    static ProbePool* pool = new ProbePool;
    return *pool;
  }
  // Runs fn on a kept thread, or a new one; false when none could be had.
  bool submit(std::function<void()> fn) {
    std::unique_lock lock(mu_);
    jobs_.push_back(std::move(fn));
    if (idle_ > jobs_.size() - 1) return cv_.notify_one(), true;
    try {
      std::thread([this] { work(); }).detach();
    } catch (const std::system_error&) {
      jobs_.pop_back();
      return false;
    }
    return true;
  }

 private:
  static constexpr size_t kKeep = 16;  // idle threads kept; more end
  void work() {
    std::unique_lock lock(mu_);
    while (true) {
      while (!jobs_.empty()) {
        std::function<void()> fn = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        fn();
        lock.lock();
      }
      if (idle_ >= kKeep) return;
      ++idle_;
      cv_.wait(lock, [&] { return !jobs_.empty(); });
      --idle_;
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  size_t idle_ = 0;
};

// The probes of one batch: started on the pool, waited for in order.
class Probes {
 public:
  bool start(std::function<void()> fn) {
    size_t k = done_.size();
    {
      std::lock_guard lock(mu_);
      done_.push_back(false);
    }
    bool ok = ProbePool::get().submit([this, k, fn = std::move(fn)] {
      fn();
      std::lock_guard lock(mu_);
      done_[k] = true;
      cv_.notify_all();
    });
    if (!ok) {
      std::lock_guard lock(mu_);
      done_.pop_back();
    }
    return ok;
  }
  size_t started() const { return done_.size(); }
  void wait(size_t k) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_[k]; });
  }
  ~Probes() {  // every probe ends before what it uses goes
    for (size_t k = 0; k < done_.size(); ++k) wait(k);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<bool> done_;  // a deque: its elements stay put while it grows
};

bool may_write(const Command& c) { return c.needs & kMayWrite; }
bool reads_snapshot(const Command& c) { return (c.needs & kReadsConfig) && !may_write(c); }

// Why a request printing past the batch's budget (or, in serve, past what
// the server holds for all its requests) was stopped.
std::string over_budget(const Limits& limits) {
  std::string why = "its output went over what one batch may hold (" + std::to_string(kMaxOutput >> 20) + " MiB)";
  if (limits.budget)
    why += " or what the server holds for all its requests (" + std::to_string(limits.budget->max >> 20) + " MiB)";
  return why + "; stopped";
}

// The request as a child process: `hvym CMD ARGS...` run from this very
// executable, its input the request's, its output captured within the
// batch's budget and deadline. It never asks, and dies with its parent.
void run_child(const Request& r, Result& res, size_t budget, const Limits& limits) {
  Talk t;
  t.path = self_program();  // this binary (on Linux even when replaced on disk since)
  t.argv.reserve(r.argv.size() + 1);
  t.argv.push_back(r.prog.empty() ? "hvym" : r.prog);
  t.argv.insert(t.argv.end(), r.argv.begin(), r.argv.end());
  t.env.push_back("HVYM_BATCH_CHILD=" + std::to_string(current_pid()));
  if (limits.env) t.env.insert(t.env.end(), limits.env->begin(), limits.env->end());
  if (limits.ask_fd >= 0) {
    t.pass_fd = limits.ask_fd;
    t.env.push_back("HVYM_ASK_FD=3");
  } else if (limits.asks_locally) {
    t.env.push_back("HVYM_ASK_FD=local");
  }
  t.cwd = limits.cwd;
  t.on_output = limits.on_output;
  t.output_ctx = limits.output_ctx;
  t.input = r.input;
  t.max_out = budget;
  t.kill_on_overflow = true;
  int timeout_s = r.timeout_s > 0 ? r.timeout_s : limits.timeout_s;
  t.timeout_ms = timeout_s * 1000;
  t.cancel_fd = limits.cancel_fd;
  t.own_group = true;
  t.budget = limits.budget;
  Conversation c = talk(t);
  res.charged += c.charged;
  res.out = std::move(c.out);
  res.err = std::move(c.err);
  std::string why;
  if (!c.started) why = c.error;
  else if (c.timed_out) why = "it took longer than " + std::to_string(timeout_s) + " s; stopped", res.ended = Ended::TimedOut;
  else if (c.overflowed) why = over_budget(limits), res.ended = Ended::OverBudget;
  else if (c.cancelled) why = "the server is stopping; stopped", res.ended = Ended::Cancelled;
  else if (c.status < 0) why = "it was killed by signal " + std::to_string(-c.status);
  if (why.empty()) {
    res.exit = c.status;
    return;
  }
  if (c.overflowed) res.out.clear(), res.err.clear();
  res.err += "hvym: " + res.cmd + ": " + why + ".\n";
  res.exit = kFailed;
}

void run_one(const Request& r, const Command* cmd, Result& res, Config* snapshot, size_t budget,
             const Limits& limits) {
  // In-process output is held to the batch's budget as a child's is.
  size_t room = std::max<size_t>(budget, 4096);  // room for a "not run" line
  BoundedStringSink out(res.out, room, limits.budget, &res.charged), err(res.err, room, limits.budget, &res.charged);
  if (r.argv.empty()) {
    err.line("Error: an empty request.");
    res.exit = kUsage;
    return;
  }
  res.cmd = r.argv[0];
  if (!cmd) {
    res.exit = unknown_command(r.prog.empty() ? "hvym" : r.prog, r.argv[0], err);
    return;
  }
  if (cmd->needs & kServer) {
    err.line("Error: '" + res.cmd + "' cannot run inside a batch.");
    res.exit = kUsage;
    return;
  }
  if (limits.cancel_fd >= 0) {
    if (fd_readable(limits.cancel_fd)) {  // serve is stopping: answered, not run
      err.line("hvym: " + res.cmd + ": not run: the server is stopping.");
      res.exit = kFailed;
      res.ended = Ended::NotRun;
      return;
    }
  }
  if (budget == 0) {
    err.line("hvym: " + res.cmd + ": not run: the answers of this batch are over " +
             std::to_string(kMaxOutput >> 20) + " MiB.");
    res.exit = kFailed;
    res.ended = Ended::NotRun;
    return;
  }
  if (runs_in_process(*cmd, limits.env)) {
    std::vector<const char*> args;
    for (size_t i = 1; i < r.argv.size(); ++i) args.push_back(r.argv[i].c_str());
    std::string prog = (r.prog.empty() ? "hvym" : r.prog) + " " + res.cmd;
    Input input = Input::from_text(r.input);
    Store::take_wants_process();
    set_thread_cancel(limits.cancel_fd);  // a program it runs (a probe) ends when serve stops
    set_thread_env(limits.env);           // the caller's DOCKER_HOST, PATH, ...
    res.exit = run_command(*cmd, prog, args, out, err,
                           {.no_input_why = "batch never asks", .snapshot = snapshot, .input = &input});
    set_thread_env(nullptr);
    bool cut_off = take_thread_cancelled();
    set_thread_cancel(-1);
    out.flush(), err.flush();
    if (out.failed() || err.failed()) {  // what it printed went over the budget
      Store::take_wants_process();
      res.out.clear();
      res.err = "hvym: " + res.cmd + ": " + over_budget(limits) + ".\n";
      res.exit = kFailed;
      res.ended = Ended::OverBudget;
      return;
    }
    if (cut_off) {  // its answer would be a guess: said so, as for a child
      res.out.clear();
      res.err = "hvym: " + res.cmd + ": the server is stopping; stopped.\n";
      res.exit = kFailed;
      res.ended = Ended::Cancelled;
      Store::take_wants_process();
      return;
    }
    if (!Store::take_wants_process()) return;
    // It wanted to write the store (a cache, a first import): that is a
    // child's work. What it printed so far is dropped.
    out.flush(), err.flush();
    res.out.clear(), res.err.clear();
  }
  out.flush(), err.flush();
  run_child(r, res, budget, limits);
}

// A request whose memory could not be had (an address-space limit): it
// fails, alone; the output it had is dropped.
void out_of_memory(Result& res) {
  std::string().swap(res.out);
  std::string().swap(res.err);
  res.err = "hvym: out of memory for this request; stopped.\n";
  res.exit = kFailed;
  res.ended = Ended::OverBudget;
}

bool is_integer(std::string_view t) {
  size_t i = !t.empty() && t[0] == '-' ? 1 : 0;
  if (i == t.size() || t.size() - i > 18) return false;
  if (t[i] == '0' && t.size() - i > 1) return false;  // "007" stays text
  for (; i < t.size(); ++i)
    if (t[i] < '0' || t[i] > '9') return false;
  return t != "-0";
}

// The result typed: booleans, whole numbers, JSON that the command printed,
// else the text without its line end; null when the command failed.
void write_value(JsonWriter& w, const Result& r) {
  if (r.exit != kOk) return w.null();
  std::string_view t = r.out;
  if (!t.empty() && t.back() == '\n') t.remove_suffix(1);
  if (t == "True" || t == "true") return w.boolean(true);
  if (t == "False" || t == "false") return w.boolean(false);
  if (is_integer(t)) return w.integer_text(t);
  if (!t.empty() && (t[0] == '{' || t[0] == '[')) {
    PyJson parsed;
    std::string ignored;
    if (parsed.parse(t, ignored)) return parsed.write(w, parsed.root());
  }
  w.string(t);
}

// --- a small JSON checker, only to say where a text goes wrong ------------
// It runs only after simdjson refused the text: simdjson 3.0.1's DOM says
// what went wrong but not where. Its On-Demand current_location() would,
// but only on a patched copy (its indexing pass refuses control characters,
// open strings and bad UTF-8 with no position, and checks a root container
// by its last bracket alone); that version was tried and read worse than
// this grammar walk (tests/unit/batch_test.cpp pins the offsets).
struct Checker {
  std::string_view s;
  size_t i = 0;
  int depth = 0;

  void ws() {
    while (i < s.size() && blank(s[i])) ++i;
  }
  bool literal(std::string_view word) {
    if (s.substr(i, word.size()) != word) return false;
    i += word.size();
    return true;
  }
  bool string() {
    ++i;  // the opening quote
    while (i < s.size()) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '"') return ++i, true;
      if (c < 0x20) return false;
      if (c == '\\') {
        ++i;
        if (i >= s.size()) return false;
        if (s[i] == 'u') {
          for (int k = 1; k <= 4; ++k)
            if (i + k >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + k]))) return i += k, false;
          i += 4;
        } else if (std::string_view("\"\\/bfnrt").find(s[i]) == std::string_view::npos) {
          return false;
        }
      }
      ++i;
    }
    return false;
  }
  bool number() {
    if (s[i] == '-') ++i;
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    if (s[i] == '0') ++i;
    else while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i < s.size() && s[i] == '.') {
      ++i;
      if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
      if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    }
    return true;
  }
  bool value() {
    ws();
    if (i >= s.size() || ++depth > 1000) return false;
    bool ok;
    char c = s[i];
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++i;
      ws();
      if (i < s.size() && s[i] == close) {
        ++i;
      } else {
        while (true) {
          if (c == '{') {
            ws();
            if (i >= s.size() || s[i] != '"' || !string()) return false;
            ws();
            if (i >= s.size() || s[i] != ':') return false;
            ++i;
          }
          if (!value()) return false;
          ws();
          if (i < s.size() && s[i] == ',') {
            ++i;
            continue;
          }
          if (i < s.size() && s[i] == close) {
            ++i;
            break;
          }
          return false;
        }
      }
      ok = true;
    } else if (c == '"') {
      ok = string();
    } else if (c == 't' || c == 'f' || c == 'n') {
      ok = literal("true") || literal("false") || literal("null");
    } else {
      ok = number();
    }
    --depth;
    return ok;
  }
};

}  // namespace

std::string read_request(const simdjson::dom::element& e, Request& r, bool (*also)(std::string_view)) {
  auto word = [&](simdjson::dom::element v, std::string& out) {
    std::string_view s;
    int64_t n;
    if (!v.get(s)) return out = s, s.find('\0') == std::string_view::npos;  // argv holds no NUL
    if (!v.get(n)) return out = std::to_string(n), true;
    return false;
  };
  simdjson::dom::array args;
  if (!e.get(args)) {
    for (auto v : args) {
      std::string w;
      if (!word(v, w)) return "an argv array holds strings (without NUL) or whole numbers only";
      r.argv.push_back(std::move(w));
    }
    return r.argv.empty() ? "an argv array needs the command name" : "";
  }
  simdjson::dom::object obj;
  if (e.get(obj)) return "a request is an object {\"cmd\": ..., \"args\": [...]} or an argv array";
  for (auto field : obj)
    if (!known_request_key(field.key) && !(also && also(field.key)))
      return "unknown key \"" + std::string(field.key) + "\" (a request has cmd, args, stdin, timeout)";
  std::string_view cmd;
  if (obj["cmd"].get(cmd)) return "a request object needs \"cmd\", a string";
  r.argv.emplace_back(cmd);
  simdjson::dom::element a;
  if (!obj["args"].get(a)) {
    if (a.get(args)) return "\"args\" must be an array";
    for (auto v : args) {
      std::string w;
      if (!word(v, w)) return "\"args\" holds strings (without NUL) or whole numbers only";
      r.argv.push_back(std::move(w));
    }
  }
  if (!obj["stdin"].get(a)) {
    std::string_view text;
    if (a.get(text)) return "\"stdin\" must be a string";
    r.input.assign(text);
  }
  if (!obj["timeout"].get(a)) {
    int64_t seconds;
    if (a.get(seconds) || seconds < 1 || seconds > kMaxTimeoutS)
      return "\"timeout\" must be a whole number of seconds from 1 to " + std::to_string(kMaxTimeoutS);
    r.timeout_s = static_cast<int>(seconds);
  }
  return "";
}

bool split_words(std::string_view line, std::vector<std::string>& words, std::string& error) {
  words.clear();
  size_t i = 0;
  while (true) {
    while (i < line.size() && blank(line[i])) ++i;
    if (i >= line.size()) return true;
    std::string w;
    while (i < line.size() && !blank(line[i])) {
      char c = line[i++];
      if (c == '\'') {
        size_t end = line.find('\'', i);
        if (end == std::string_view::npos) return error = "an unterminated ' quote", false;
        w.append(line.substr(i, end - i));
        i = end + 1;
      } else if (c == '"') {
        while (true) {
          if (i >= line.size()) return error = "an unterminated \" quote", false;
          char d = line[i++];
          if (d == '"') break;
          if (d == '\\' && i < line.size() && std::string_view("$`\"\\\n").find(line[i]) != std::string_view::npos) {
            if (line[i] != '\n') w += line[i];
            ++i;
          } else {
            w += d;
          }
        }
      } else if (c == '\\') {
        if (i >= line.size()) return error = "a backslash at the end", false;
        if (line[i] != '\n') w += line[i];
        ++i;
      } else {
        w += c;
      }
    }
    words.push_back(std::move(w));
  }
}

size_t json_error_offset(std::string_view json) {
  Checker c{json};
  if (!c.value()) return std::min(c.i, json.size());
  c.ws();
  return c.i;  // trailing text (or, when it all checks, the end)
}

RequestParser::RequestParser() : p_(std::make_unique<simdjson::dom::parser>()) {}
RequestParser::~RequestParser() = default;

bool parse_requests(RequestParser& parser, std::string_view json, bool single, std::vector<Request>& out,
                    std::string& error, size_t& offset) {
  simdjson::dom::element root;
  if (auto code = parser.get().parse(json.data(), json.size()).get(root)) {
    error = simdjson::error_message(code);
    offset = json_error_offset(json);
    return false;
  }
  offset = 0;
  simdjson::dom::array list;
  bool many = !root.get(list);
  if (many && single) {  // an argv array (strings) is one request
    bool argv = true;
    for (auto v : list)
      if (v.is_array() || v.is_object()) argv = false;
    if (argv && list.size() > 0) many = false;
  }
  if (!many) {
    if (!single) return error = "the requests must be a JSON array", false;
    Request r;
    error = read_request(root, r);
    if (!error.empty()) return false;
    out.push_back(std::move(r));
    return true;
  }
  if (list.size() > kMaxRequests)
    return error = "more than " + std::to_string(kMaxRequests) + " requests at once", false;
  size_t n = 0;
  for (auto v : list) {
    ++n;
    Request r;
    std::string why = read_request(v, r);
    if (!why.empty()) return error = "request " + std::to_string(n) + ": " + why, false;
    out.push_back(std::move(r));
  }
  return true;
}

void enter_shared_mode() {
  sys::lean_threads();
  Store::share_environments();
  // Requests carry passphrases on their stdin and answers may hold secret
  // keys or recovery words: no core dump, no reading by another process.
  guard_secrets();
  ignore_broken_pipes();  // a child or client that left: its write fails, nothing more
}

void run(const std::vector<Request>& requests, Sink& out, const Limits& limits) {
  std::vector<Result> results;
  struct Wipe {  // what the requests said and printed may be secret; the server's budget back
    std::vector<Result>& results;
    ByteBudget* budget;
    ~Wipe() {
      for (Result& r : results) {
        wipe(r.out), wipe(r.err);
        if (budget) budget->give(r.charged);
      }
    }
  } wipe_results{results, limits.budget};
  run_results(requests, results, limits);
  JsonWriter w(out);
  w.begin_array();
  for (const Result& r : results) write_result(w, r);
  w.end_array();
}

void run_results(const std::vector<Request>& requests, std::vector<Result>& results, const Limits& limits) {
  results.assign(requests.size(), Result{});
  // Snapshots stay open until every probe that reads one has finished.
  std::deque<ConfigSession> snapshots;
  Config* current = nullptr;
  std::string ignored;
  StringSink quiet(ignored);
  Probes probes;
  size_t joined = 0;
  size_t used = 0;  // output held so far (a probe's counts when it is joined)
  auto join_one = [&] { probes.wait(joined++); };
  std::vector<size_t> probe_of;  // which request each probe thread runs
  for (size_t i = 0; i < requests.size(); ++i) {
    const Command* cmd = requests[i].argv.empty() ? nullptr : find_command(requests[i].argv[0]);
    Config* snap = nullptr;
    if (cmd && reads_snapshot(*cmd) && (cmd->needs & kInProcess)) {
      if (!current) {
        snapshots.emplace_back();
        Store::take_wants_process();
        if (snapshots.back().open(false, quiet)) {
          current = &snapshots.back().config();
          current->get(Key::PintheonDapp);  // derived now, before threads read it
        }
        Store::take_wants_process();  // a store still to import: the request finds out itself
      }
      snap = current;  // null when it could not open: the command opens (and reports) itself
    }
    while (probes.started() - joined >= kMaxProbeThreads) {
      size_t k = probe_of[joined];
      join_one();
      used += results[k].out.size() + results[k].err.size();
    }
    size_t budget = used < kMaxOutput ? kMaxOutput - used : 0;
    bool started = false;
    if (cmd && (cmd->needs & kProbe)) {
      // A probe prints a word or a small object: its own small budget, so
      // probes running together stay within the batch's.
      size_t small = std::min(budget, kMaxProbeOutput);
      started = probes.start([&requests, &results, &limits, i, cmd, snap, small] {
        try {
          run_one(requests[i], cmd, results[i], snap, small, limits);
        } catch (const std::bad_alloc&) {  // one request, not the process
          out_of_memory(results[i]);
        }
      });
      if (started) probe_of.push_back(i);
    }
    if (!started) {
      try {
        run_one(requests[i], cmd, results[i], snap, budget, limits);
      } catch (const std::bad_alloc&) {
        out_of_memory(results[i]);
      }
      used += results[i].out.size() + results[i].err.size();
    }
    if (cmd && may_write(*cmd)) current = nullptr;  // later requests see what it wrote
  }
  while (joined < probes.started()) join_one();
}

void write_result(JsonWriter& w, const Result& r) {
  w.begin_object();
  w.key("cmd");
  w.string(r.cmd);
  w.key("exit");
  w.integer(r.exit);
  w.key("stdout");
  w.string(r.out);
  w.key("stderr");
  w.string(r.err);
  w.key("value");
  write_value(w, r);
  w.end_object();
}

void run_single(const Request& request, Result& result, const Limits& limits) {
  const Command* cmd = request.argv.empty() ? nullptr : find_command(request.argv[0]);
  try {
    run_one(request, cmd, result, nullptr, kMaxOutput, limits);
  } catch (const std::bad_alloc&) {
    out_of_memory(result);
  }
}

bool env_fits_in_process(const std::vector<std::string>& env) {
  for (const std::string& v : env) {
    std::string name = v.substr(0, v.find('='));
    bool read_through = false;
    for (const char* n : kEnvInProcess) read_through |= name == n;
    if (read_through) continue;
    const char* own = std::getenv(name.c_str());
    bool unset = v.find('=') == std::string::npos;
    if (unset ? own != nullptr : (!own || v.compare(name.size() + 1, std::string::npos, own) != 0)) return false;
  }
  return true;
}

bool runs_in_process(const Command& cmd, const std::vector<std::string>* env) {
  return (cmd.needs & kInProcess) && (!env || env_fits_in_process(*env));
}

bool known_request_key(std::string_view key) {
  return key == "cmd" || key == "args" || key == "stdin" || key == "timeout";
}

}  // namespace hvym::batch
