#include "cli/watch.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>

#include "cli/batch.h"
#include "cli/serve_rpc.h"
#include "cli/table.h"
#include "io/sink.h"
#include "json/json_writer.h"
#include "net/docker.h"
#include "net/engine_follow.h"
#include "platform/fs.h"
#include "platform/process.h"
#include "platform/waiter.h"
#include "platform/wipe.h"
#include "store/config.h"
#include "store/paths.h"
#include "store/store.h"
#include "unit/command.h"

namespace hvym::serve::watch {
namespace {

constexpr std::string_view kContainerTopic = "pintheon-container";
constexpr std::string_view kTopics[] = {
    "docker-installed", "installation-stats", "is-pintheon-tunnel-open", "pinggy-tier",
    "pinggy-token", "pintheon-container", "pintheon-dapp", "pintheon-image-exists",
    "pintheon-network", "pintheon-port", "stellar-list",
};
// Topics whose answer the engine gives: watching one follows the engine.
bool engine_topic(std::string_view t) {
  return t == "pintheon-image-exists" || t == "installation-stats" || t == kContainerTopic;
}
// Worked out again too when the engine moves: docker-installed is the
// docker CLI's answer, which nothing follows, and an engine that appears or
// goes is when it most likely changed (Docker installed or removed).
bool moves_with_engine(std::string_view t) { return engine_topic(t) || t == "docker-installed"; }
bool tunnel_topic(std::string_view t) { return t == "is-pintheon-tunnel-open"; }
// A topic whose answer asks another program (an engine, a port, docker
// --version): worked out after the others, which are then told first.
bool asks_a_program(std::string_view t) {
  if (t == kContainerTopic) return true;
  const Command* c = find_command(t);
  return c && (c->needs & kProbe);
}

constexpr long long kProbingMs = 5000;        // a source not followed: its answers asked again this often
constexpr long long kStoreCheckedMs = 1000;   // the store where no folder can be followed
constexpr long long kStoreRecheckMs[] = {5, 50};  // after a write: LMDB publishes the commit just after it
constexpr long long kStoreBehindMs = 2;       // the meta pages ahead of readers: asked again this soon
constexpr long long kTunnelFirstMs = 100;     // a new tunnel: its debugger asked after this, doubling
constexpr long long kTunnelLastMs = 6400;     // up to this
constexpr long long kFirstValuesMs = 30000;   // a new watch waits at most this for its first values

class Hub {
 public:
  bool start(std::string& why);
  bool subscribe(const std::shared_ptr<Subscription>& sub, std::string& result_json, std::string& why);
  void unsubscribe(const Subscription* sub);
  std::string take_change(Subscription& sub);
  void follow_engine();

 private:
  void run();
  void round();
  void read_store();  // the last commit and the recorded tunnel
  void follow_store(long long now);
  void publish(const std::map<std::string, std::string>& computed);
  std::map<std::string, std::string> compute_all(const std::set<std::string>& topics);
  std::string sources_json();
  long long next_deadline(const std::set<std::string>& watched);

  std::mutex mu_;
  std::condition_variable cv_;  // new watches wait here for their first values
  std::vector<std::shared_ptr<Subscription>> subs_;
  std::map<std::string, std::string> values_;  // topic -> result JSON, the latest
  std::set<std::string> wanted_;               // topics a new watch needs and values_ lacks
  std::string sources_;
  bool started_ = false;
  Waiter waiter_;
  std::atomic<bool> engine_changed_{false};
  std::atomic<bool> follow_engine_{false};

  // The hub's thread alone.
  std::string engine_;         // the engine's socket (the server's environment)
  bool engine_followed_ = false;
  std::string store_dir_;      // DATA/hvym.lmdb, or DATA until it exists
  bool store_followed_ = false;
  bool store_is_lmdb_ = false;
  std::string store_watched_;  // the folder followed for it
  uint64_t store_txn_ = 0;
  long long store_check_at_ = -1;
  int store_rechecks_ = 0;
  long tunnel_pid_ = 0;
  bool tunnel_followed_ = false;
  bool tunnel_ended_ = false;  // its process ended: the answer now
  bool tunnel_polled_ = false; // alive, but its end cannot be followed here (Windows, macOS)
  bool store_behind_ = false;  // a commit written but not yet published to readers
  fs::FileId store_id_{};      // the folder followed for the store, as it was when followed
  long long tunnel_probe_at_ = -1;
  long long tunnel_step_ = kTunnelFirstMs;
  long long engine_probe_at_ = -1;
};

Hub& hub() {
  // Made at first use (a watch, an engine probe through serve), never
  // before; never destroyed: its thread runs until the process ends.
  static Hub* h = new Hub;
  return *h;
}

bool Hub::start(std::string& why) {
  // mu_ held
  if (started_) return true;
  store_dir_ = data_dir();
  engine_ = engine_socket();
  try {
    std::thread([this] { run(); }).detach();
  } catch (const std::system_error&) {
    why = "the server cannot start a thread for watches now; try again";
    return false;
  }
  started_ = true;
  return true;
}

void Hub::follow_engine() {
  if (follow_engine_.exchange(true)) return;
  std::string why;
  std::lock_guard lock(mu_);
  if (!start(why)) follow_engine_ = false;
  waiter_.wake();
}

void Hub::read_store() {
  std::string out;
  StringSink discard(out);
  ConfigSession session;
  uint64_t txn = 0;
  long pid = 0;
  store_behind_ = false;
  if (session.open(false, discard)) {
    if (session.has_store()) {
      txn = session.store().txn_id();
      // The meta pages ahead of what a reader sees: a commit LMDB has not
      // published yet. Read again in a moment, until they agree.
      store_behind_ = session.store().meta_txn_id() > txn;
    }
    if (session.config().get(Key::TunnelStatus) == "running")
      pid = std::atol(std::string(session.config().get(Key::TunnelPid)).c_str());
  }
  if (txn != store_txn_) store_txn_ = txn;
  if (pid != tunnel_pid_ || (pid > 0 && !tunnel_followed_)) {
    bool fresh = pid != tunnel_pid_;
    tunnel_pid_ = pid;
    waiter_.forget_process();
    // The recorded process, when it is the tunnel: followed first, then its
    // name checked (the pidfd holds that very process: a pid reused after
    // the check cannot slip in).
    bool followed = pid > 0 && waiter_.watch_process(pid);
    bool alive = pid > 0 && pid_alive(pid, "pinggy");
    if (followed && !alive) waiter_.forget_process();
    tunnel_followed_ = followed && alive;
    tunnel_polled_ = alive && !tunnel_followed_;  // where a process cannot be followed: asked every second
    if (fresh && alive) tunnel_probe_at_ = now_ms() + kTunnelFirstMs, tunnel_step_ = kTunnelFirstMs;
  }
}

// Follows the store's folder, or until it exists the nearest folder on its
// way; again when what was followed went (removed, replaced, renamed). A
// folder that appears while the watch is being added is found by looking
// again until nothing moved.
void Hub::follow_store(long long now) {
  std::string lmdb = Store::path_in(store_dir_);
  for (int round = 0; round < 8; ++round) {
    std::string at = fs::kind_of(lmdb) == fs::Kind::Dir ? lmdb : store_dir_;
    while (fs::kind_of(at) != fs::Kind::Dir) {
      size_t cut = at.find_last_of("/\\");
      if (cut == std::string::npos || cut == 0) break;
      at.resize(cut);
    }
    fs::FileId id{};
    bool known = fs::file_id(at, id);
    if (at == store_watched_ && known && id.dev == store_id_.dev && id.ino == store_id_.ino) return;
    waiter_.forget_folders();
    store_followed_ = waiter_.watch_folder(at);
    store_watched_ = at;
    store_id_ = id;
    store_is_lmdb_ = store_followed_ && at == lmdb;
    store_check_at_ = now;  // something appeared or went: perhaps the store, with a commit
    if (!store_followed_) break;
  }
  if (!store_followed_ && store_check_at_ < 0) store_check_at_ = now + kStoreCheckedMs;
}

std::string result_json(const batch::Result& res) {
  std::string json;
  StringSink sink(json);
  JsonWriter w(sink);
  batch::write_result(w, res);
  sink.flush();
  return json;
}

// The topics' answers (result JSON), worked out as `run` would: through
// batch, so probes run side by side on its kept threads.
std::map<std::string, std::string> Hub::compute_all(const std::set<std::string>& topics) {
  std::map<std::string, std::string> out;
  std::vector<batch::Request> requests;
  for (const std::string& t : topics) {
    if (t == kContainerTopic) {
      batch::Result res;
      res.cmd = t;
      res.out = engine_follow::container_state(engine_) + "\n";
      out[t] = result_json(res);
      continue;
    }
    requests.emplace_back();
    requests.back().argv.push_back(t);
  }
  if (requests.empty()) return out;
  std::vector<batch::Result> results;
  batch::run_results(requests, results);
  for (size_t i = 0; i < requests.size(); ++i) {
    out[requests[i].argv[0]] = result_json(results[i]);
    wipe(results[i].out), wipe(results[i].err);
  }
  return out;
}

std::string Hub::sources_json() {
  return rpc::object([&](JsonWriter& w) {
    w.key("store"), w.string(store_followed_ ? "live" : "checked");
    w.key("engine"), w.string(engine_follow::live() ? "live" : "probing");
    w.key("tunnel"), w.string(tunnel_followed_ ? "live" : "probing");
  });
}

long long Hub::next_deadline(const std::set<std::string>& watched) {
  long long d = -1;
  auto at = [&](long long t) {
    if (t >= 0 && (d < 0 || t < d)) d = t;
  };
  at(store_check_at_);
  bool engine = false, tunnel = false;
  for (const std::string& t : watched) engine |= engine_topic(t), tunnel |= tunnel_topic(t);
  if (engine && !engine_follow::live()) at(engine_probe_at_);
  if (tunnel && (tunnel_followed_ || tunnel_polled_)) at(tunnel_probe_at_);
  return d;
}

void Hub::run() {
  read_store();
  std::set<std::string> watched;
  bool first = true;
  while (true) {
    bool folder_moved = false;
    if (!first) {
      unsigned got = waiter_.wait(next_deadline(watched));
      if (got & Waiter::kFolder) {
        folder_moved = true;
        store_rechecks_ = 0;
        store_check_at_ = now_ms();  // now, then a little later: see kStoreRecheckMs
      }
      if (got & Waiter::kProcessEnded) tunnel_followed_ = false, tunnel_probe_at_ = -1, tunnel_ended_ = true;
    }
    first = false;
    long long now = now_ms();
    // The engine: followed once anything asks it through the server.
    bool engine_now = false;
    if (follow_engine_ && !engine_followed_) {
      engine_followed_ = true;
      engine_follow::start(engine_, [this] {
        engine_changed_ = true;
        waiter_.wake();
      });
    }
    if (engine_changed_.exchange(false)) engine_now = true;
    if (engine_probe_at_ >= 0 && now >= engine_probe_at_) engine_now = true, engine_probe_at_ = -1;
    // The store: where a folder can be followed, its commits wake this
    // thread. Until DATA/hvym.lmdb exists, the nearest folder on its way that
    // does is followed, and the next one down once it appears.
    if (!store_is_lmdb_ || folder_moved) follow_store(now);
    bool store_now = false;
    if (store_check_at_ >= 0 && now >= store_check_at_) {
      uint64_t before = store_txn_;
      long pid_before = tunnel_pid_;
      read_store();
      store_now = store_txn_ != before || tunnel_pid_ != pid_before;
      if (store_behind_)
        store_check_at_ = now + kStoreBehindMs;
      else if (store_followed_ && store_rechecks_ < 2)
        store_check_at_ = now + kStoreRecheckMs[store_rechecks_++];
      else
        store_check_at_ = store_followed_ ? -1 : now + kStoreCheckedMs;
    }
    bool tunnel_now = tunnel_ended_ || (tunnel_probe_at_ >= 0 && now >= tunnel_probe_at_);
    tunnel_ended_ = false;

    // What to work out: the new watches' topics, and those whose source moved.
    std::set<std::string> todo;
    {
      std::lock_guard lock(mu_);
      watched.clear();
      for (auto& s : subs_) watched.insert(s->topics.begin(), s->topics.end());
      todo = wanted_;
    }
    for (const std::string& t : watched) {
      if (store_now || (engine_now && moves_with_engine(t)) || (tunnel_now && tunnel_topic(t))) todo.insert(t);
    }
    // The answers from the store first, told at once; then the probes, side
    // by side, which may take their bounds (a hung debugger port: 1 s).
    std::set<std::string> quick, slow;
    for (const std::string& t : todo) (asks_a_program(t) ? slow : quick).insert(t);
    std::map<std::string, std::string> computed = compute_all(quick);
    if (!slow.empty() && !computed.empty()) publish(computed);
    for (auto& [t, json] : compute_all(slow)) computed[t] = std::move(json);
    // A new tunnel's debugger comes up a moment after it starts: asked again
    // until it answers, while the process lives.
    if (tunnel_now) {
      auto it = computed.find("is-pintheon-tunnel-open");
      bool open = it != computed.end() && it->second.find("\"value\": true") != std::string::npos;
      if (tunnel_polled_ && !pid_alive(tunnel_pid_, "pinggy")) tunnel_polled_ = false;
      if (!open && (tunnel_followed_ || tunnel_polled_) && tunnel_step_ <= kTunnelLastMs)
        tunnel_probe_at_ = now_ms() + tunnel_step_, tunnel_step_ *= 2;
      else
        tunnel_probe_at_ = tunnel_polled_ ? now_ms() + kStoreCheckedMs : -1;
    }
    bool any_engine = false;
    for (const std::string& t : watched) any_engine |= engine_topic(t);
    if (any_engine && !engine_follow::live() && engine_probe_at_ < 0) engine_probe_at_ = now_ms() + kProbingMs;
    publish(computed);
  }
}

void Hub::publish(const std::map<std::string, std::string>& computed) {
  std::string sources = sources_json();
  {
      std::lock_guard lock(mu_);
      for (auto& [t, json] : computed) {
        wanted_.erase(t);
        values_[t] = json;
      }
      bool sources_moved = sources != sources_;
      sources_ = sources;
      for (auto& s : subs_) {
        if (!s->ready) continue;
        bool any = false;
        for (const std::string& t : s->topics) {
          auto c = computed.find(t);
          if (c == computed.end()) continue;
          auto told = s->told.find(t);
          if (told != s->told.end() && told->second == c->second) s->pending.erase(t);
          else s->pending[t] = c->second, any = true;
        }
        if (sources_moved) {
          if (s->sources_told == sources) s->sources_pending.clear();
          else s->sources_pending = sources, any = true;
        }
        // Under the lock: once unsubscribe() has returned, no wake comes.
        if (any) s->wake();
      }
      cv_.notify_all();
  }
}

bool Hub::subscribe(const std::shared_ptr<Subscription>& sub, std::string& result_json, std::string& why) {
  std::unique_lock lock(mu_);
  if (subs_.size() >= kMaxWatches) {
    why = "the server holds " + std::to_string(kMaxWatches) + " watches already";
    return false;
  }
  if (!start(why)) return false;
  // A value is kept up to date only while some watch has its topic: one no
  // watch has is worked out afresh.
  std::set<std::string_view> kept;
  for (auto& s : subs_) kept.insert(s->topics.begin(), s->topics.end());
  bool engine = false;
  for (const std::string& t : sub->topics) {
    if (!kept.count(t)) values_.erase(t), wanted_.insert(t);
    engine |= engine_topic(t);
  }
  subs_.push_back(sub);
  if (engine && !follow_engine_.exchange(true)) waiter_.wake();
  if (!wanted_.empty() || sources_.empty()) {
    waiter_.wake();
    bool got = cv_.wait_for(lock, std::chrono::milliseconds(kFirstValuesMs), [&] {
      if (sources_.empty()) return false;
      for (const std::string& t : sub->topics)
        if (!values_.count(t)) return false;
      return true;
    });
    if (!got) {
      std::erase(subs_, sub);
      why = "the server could not work out the watched answers in time";
      return false;
    }
  }
  for (const std::string& t : sub->topics) sub->told[t] = values_[t];
  sub->sources_told = sources_;
  sub->ready = true;
  result_json = rpc::object([&](JsonWriter& w) {
    w.key("watch"), w.integer(sub->number);
    w.key("seq"), w.integer(0);
    w.key("values");
    w.begin_object();
    for (const std::string& t : sub->topics) w.key(t), w.raw(sub->told[t]);
    w.end_object();
    w.key("sources"), w.raw(sources_);
  });
  return true;
}

void Hub::unsubscribe(const Subscription* sub) {
  std::lock_guard lock(mu_);
  std::erase_if(subs_, [&](const std::shared_ptr<Subscription>& s) { return s.get() == sub; });
}

std::string Hub::take_change(Subscription& sub) {
  std::lock_guard lock(mu_);
  std::vector<std::pair<const std::string*, const std::string*>> changed;
  for (const std::string& t : sub.topics) {
    auto p = sub.pending.find(t);
    if (p == sub.pending.end()) continue;
    if (sub.told[t] != p->second) {
      sub.told[t] = p->second;
      changed.push_back({&t, &sub.told[t]});
    }
  }
  sub.pending.clear();
  bool sources = !sub.sources_pending.empty() && sub.sources_pending != sub.sources_told;
  if (sources) sub.sources_told = sub.sources_pending;
  sub.sources_pending.clear();
  if (changed.empty() && !sources) return "";
  ++sub.seq;
  return rpc::object([&](JsonWriter& w) {
    w.key("watch"), w.integer(sub.number);
    w.key("seq"), w.integer(static_cast<long long>(sub.seq));
    w.key("values");
    w.begin_object();
    for (auto& [topic, json] : changed) w.key(*topic), w.raw(*json);
    w.end_object();
    w.key("sources"), w.raw(sub.sources_told);
  });
}

}  // namespace

bool is_topic(std::string_view name) {
  for (std::string_view t : kTopics)
    if (t == name) return t == kContainerTopic || find_command(name) != nullptr;
  return false;
}

bool asks_engine(std::string_view cmd) { return cmd != kContainerTopic && engine_topic(cmd); }

bool subscribe(const std::shared_ptr<Subscription>& sub, std::string& result_json, std::string& why) {
  return hub().subscribe(sub, result_json, why);
}
void unsubscribe(const Subscription* sub) { hub().unsubscribe(sub); }
std::string take_change(Subscription& sub) { return hub().take_change(sub); }
void engine_probe_asked() { hub().follow_engine(); }

}  // namespace hvym::serve::watch
