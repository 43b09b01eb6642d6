#include "net/engine_follow.h"

#include <simdjson.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "net/gateway.h"
#include "net/http.h"
#include "platform/net.h"
#include "platform/process.h"
#include "platform/waiter.h"

namespace hvym::engine_follow {
namespace {

// Image and container events only: {"type":["image","container"]}.
constexpr const char* kEventsPath = "/events?filters=%7B%22type%22%3A%5B%22image%22%2C%22container%22%5D%7D";
constexpr size_t kMaxLine = 65536;      // an event is about 1 KB: a longer line is not an event
constexpr size_t kMaxTracked = 64;      // images tracked (the oldest is forgotten past it)
constexpr long long kSettleMs = 20;     // events still coming: the state is asked after this at the latest;
constexpr long long kNoiseGapMs = 100;  // after kNoise questions in a row that found nothing changed
constexpr int kNoise = 3;               // (a flood of other images' events), at most this often
constexpr long long kFirstRetryMs = 100;
constexpr long long kMaxRetryMs = 5000;
constexpr long long kSoonMs = 25;       // after the socket's folder changed: tries this often, a few times
constexpr long long kServedMs = 1000;   // a stream that served this long ends the backoff
constexpr int kAskMs = 1000;            // one request to the engine

bool is_pipe(const std::string& where) { return where.rfind("\\\\.\\pipe\\", 0) == 0; }

bool iprefix(std::string_view s, std::string_view lower) {
  if (s.size() < lower.size()) return false;
  for (size_t i = 0; i < lower.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != lower[i]) return false;
  return true;
}

// The engine's answer about one image: 1 there, 0 not, -1 no answer.
int ask_image(const std::string& where, const std::string& ref) {
  HttpAnswer a = http_engine(where, status_probe("/images/" + ref + "/json", kAskMs));
  if (a.state != HttpAnswer::Answered) return -1;
  if (a.status == 200) return 1;
  return a.status == 404 ? 0 : -1;
}

// The container's state word, "absent", or "" when the engine gave no answer.
std::string ask_container(const std::string& where) {
  HttpRequest r;
  std::string path = std::string("/containers/") + kContainer + "/json";
  r.path = path;
  r.timeout_ms = kAskMs;
  r.max_body = size_t{1} << 20;
  HttpAnswer a = http_engine(where, r);
  if (a.state != HttpAnswer::Answered) return "";
  if (a.status == 404) return "absent";
  if (a.status != 200) return "";
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  std::string_view status;
  if (parser.parse(a.body).get(e) || e["State"]["Status"].get(status) || status.empty() || status.size() > 32)
    return "";
  // podman's own words for Docker's: a container it is stopping still runs;
  // "stopped" has exited (its clean-up pending); "configured" and
  // "initialized" are made but not started.
  if (status == "stopping") return "running";
  if (status == "stopped") return "exited";
  if (status == "configured" || status == "initialized") return "created";
  return std::string(status);
}

// GET /events, read as it comes: HTTP/1.1 chunks decoded, split into lines.
class EventStream {
 public:
  bool open(const std::string& where, long long deadline) {
    std::string detail;
    net::Result r = is_pipe(where) ? s_.connect_pipe(where, deadline, detail) : s_.connect_unix(where, deadline, detail);
    if (r != net::Result::Ok) return false;
    std::string msg = std::string("GET ") + kEventsPath + " HTTP/1.1\r\nHost: docker\r\nUser-Agent: hvym\r\nAccept: */*\r\n\r\n";
    if (!s_.send_all(msg, deadline, r, detail)) return false;
    std::string line;
    for (bool first = true;; first = false) {
      if (!header_line(line, deadline)) return false;
      if (first) {
        if (line.size() < 12 || line.compare(0, 5, "HTTP/") != 0 || line.compare(8, 4, " 200") != 0) return false;
        continue;
      }
      if (line.empty()) break;
      if (iprefix(line, "transfer-encoding:") && line.find("chunked") != std::string::npos) chunked_ = true;
    }
    return true;
  }
  // Reads what comes before the deadline; whole lines go to `lines`.
  // 1: read something; 0: the deadline came first; kEnded: the stream
  // ended or broke; kGarbage: it carried what is not an event stream.
  static constexpr int kEnded = -1, kGarbage = -2;
  int read(std::vector<std::string>& lines, long long deadline) {
    char buf[16384];
    long long n = s_.receive(buf, sizeof buf, deadline);
    if (n == -2) return 0;
    if (n <= 0) return kEnded;
    raw_.append(buf, static_cast<size_t>(n));
    if (!decode()) return ended_ ? kEnded : kGarbage;
    size_t from = 0, nl;
    while ((nl = body_.find('\n', from)) != std::string::npos) {
      std::string_view l(body_.data() + from, nl - from);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (l.find_first_not_of(" \t") != std::string_view::npos) lines.emplace_back(l);
      from = nl + 1;
    }
    body_.erase(0, from);
    return body_.size() > kMaxLine ? kGarbage : 1;
  }

 private:
  bool header_line(std::string& out, long long deadline) {
    size_t nl;
    while ((nl = raw_.find("\r\n")) == std::string::npos) {
      if (raw_.size() > 16384) return false;
      char buf[4096];
      long long n = s_.receive(buf, sizeof buf, deadline);
      if (n <= 0) return false;
      raw_.append(buf, static_cast<size_t>(n));
    }
    out.assign(raw_, 0, nl);
    raw_.erase(0, nl + 2);
    return true;
  }
  // raw_ (as received) into body_ (the stream's bytes); false on a framing fault or the last chunk.
  bool decode() {
    if (!chunked_) {
      body_ += raw_;
      raw_.clear();
      return true;
    }
    while (true) {
      if (left_ == 0 && !in_data_end_) {
        size_t nl = raw_.find("\r\n");
        if (nl == std::string::npos) return raw_.size() <= 32;
        char* end = nullptr;
        std::string size_text = raw_.substr(0, nl);
        unsigned long long size = std::strtoull(size_text.c_str(), &end, 16);
        if (size_text.empty() || !std::isxdigit(static_cast<unsigned char>(size_text[0])) ||
            (*end && *end != ';' && *end != ' ') || size > kMaxLine * 4)
          return false;
        raw_.erase(0, nl + 2);
        if (size == 0) return !(ended_ = true);  // the last chunk: the stream ended
        left_ = size;
      }
      if (left_ > 0) {
        size_t take = std::min<size_t>(left_, raw_.size());
        body_.append(raw_, 0, take);
        raw_.erase(0, take);
        left_ -= take;
        if (left_ > 0) return true;
        in_data_end_ = true;
      }
      if (in_data_end_) {
        if (raw_.size() < 2) return true;
        if (raw_.compare(0, 2, "\r\n") != 0) return false;
        raw_.erase(0, 2);
        in_data_end_ = false;
      }
    }
  }
  net::Stream s_;
  std::string raw_, body_;
  bool chunked_ = false;
  bool ended_ = false;           // the last chunk came
  unsigned long long left_ = 0;  // of the chunk being read
  bool in_data_end_ = false;     // its CRLF is next
};

struct Follower {
  std::string where;  // set before the thread starts, never changed
  std::function<void()> on_change;
  std::mutex refresh_mu;  // one refresh at a time: the later question publishes later
  std::atomic<bool> storage_followed{false};
  std::mutex mu;      // what follows
  bool live = false;
  uint64_t image_gen = 1;  // moves on each image event (and up/down): learned() checks it
  std::map<std::string, bool> images;
  std::deque<std::string> order;  // of images, oldest first
  std::string container;
};

std::atomic<Follower*> g_follower{nullptr};
std::atomic<long long> g_verify_ms{120000};

// Asks the engine for everything tracked. False when it did not answer.
struct Known {
  std::map<std::string, bool> images;
  std::string container;
};
bool ask_all(Follower& f, bool images, bool container, Known& k) {
  std::vector<std::string> refs;
  {
    std::lock_guard lock(f.mu);
    k.images = f.images;
    k.container = f.container;
  }
  if (images)
    for (auto& [ref, there] : k.images) {
      int a = ask_image(f.where, ref);
      if (a < 0) return false;
      there = a == 1;
    }
  if (container) {
    k.container = ask_container(f.where);
    if (k.container.empty()) return false;
  }
  return true;
}

// Publishes what was asked; true when it differs from what was known.
bool publish(Follower& f, const Known& k, bool go_live) {
  bool changed = false;
  {
    std::lock_guard lock(f.mu);
    for (auto& [ref, there] : k.images) {
      auto it = f.images.find(ref);
      if (it != f.images.end() && it->second != there) it->second = there, changed = true;
    }
    if (f.container != k.container) f.container = k.container, changed = true;
    if (go_live && !f.live) f.live = true, ++f.image_gen, changed = true;
  }
  return changed;
}

// Asks and publishes, one refresh at a time. -1: the engine did not
// answer; 0: nothing changed; 1: something did (on_change has run).
int refresh(Follower& f, bool images, bool container, bool go_live = false) {
  std::lock_guard hold(f.refresh_mu);
  Known k;
  if (!ask_all(f, images, container, k)) return -1;
  if (!publish(f, k, go_live)) return 0;
  f.on_change();
  return 1;
}

void go_down(Follower& f) {
  bool was;
  {
    std::lock_guard lock(f.mu);
    was = f.live;
    f.live = false;
    ++f.image_gen;
  }
  if (was) f.on_change();
}

// Follows one connected stream until it ends. False when it went wrong in a
// way that calls for waiting longer before the next try (garbage, a stall).
bool follow(Follower& f, EventStream& es) {
  simdjson::dom::parser parser;
  bool dirty_images = false, dirty_container = false;
  long long dirty_since = 0, asked_at = 0;
  int noise = 0;  // questions in a row that found nothing changed
  std::vector<std::string> lines;
  while (true) {
    bool dirty = dirty_images || dirty_container;
    lines.clear();
    int r = es.read(lines, dirty ? now_ms() + 1 : now_ms() + g_verify_ms.load());
    if (r == EventStream::kEnded) return true;  // the engine stopped: try again soon
    if (r == EventStream::kGarbage) return false;
    for (const std::string& line : lines) {
      simdjson::dom::object ev;
      std::string_view type;
      if (parser.parse(line).get(ev)) return false;  // not an event stream
      if (ev["Type"].get(type) && ev["type"].get(type)) continue;  // an event of no interest
      if (type == "image") {
        {
          std::lock_guard lock(f.mu);
          ++f.image_gen;  // what a request is learning now may be stale: every event
        }
        dirty_images = true;
      } else if (type == "container") {
        // Another container's: nothing to ask (Docker and podman name it in
        // Actor.Attributes.name; an event without a name is asked about).
        std::string_view name;
        if (!ev["Actor"]["Attributes"]["name"].get(name) && name != kContainer) continue;
        dirty_container = true;
      } else {
        continue;
      }
      if (!dirty) dirty_since = now_ms(), dirty = true;
    }
    if (r == 0 && !dirty) {  // silent for the verify period: checked with one request
      int changed = refresh(f, true, true);
      if (changed < 0) return true;
      // The engine changed and the stream said nothing: it stalled (unless
      // the engine's storage said so first).
      if (changed > 0 && !f.storage_followed) return false;
      continue;
    }
    long long now = now_ms();
    if (dirty && (r == 0 || now - dirty_since >= kSettleMs) && (noise < kNoise || now - asked_at >= kNoiseGapMs)) {
      int changed = refresh(f, dirty_images, dirty_container);
      if (changed < 0) return true;
      noise = changed ? 0 : noise + 1;
      dirty_images = dirty_container = false;
      asked_at = now;
    }
  }
}

// podman's events reach its API late where it logs them to a file (its
// "file" event logger reads the log every 250 ms: about 200 ms here). Its
// storage folders change at once, so where the engine says where they are
// (GET /libpod/info: podman; Docker answers 404 and its events are
// prompt), a change in them wakes a refresh as an event would. Only a
// wake-up: what the answers say still comes from asking the engine.
void watch_storage(Follower& f, std::vector<std::string> folders) {
  Waiter waiter;
  bool any = false;
  for (const std::string& d : folders) any |= waiter.watch_folder(d);
  if (!any) return;
  f.storage_followed = true;
  while (true) {
    if (!(waiter.wait(-1) & Waiter::kFolder)) continue;
    // A write comes with others (a rename, a database's pages): asked once
    // they settle, within kSettleMs.
    long long until = now_ms() + kSettleMs;
    while (waiter.wait(std::min(until, now_ms() + 2)) & Waiter::kFolder) {
    }
    bool live;
    {
      std::lock_guard lock(f.mu);
      live = f.live;
      if (live) ++f.image_gen;  // as an image event would
    }
    if (live) refresh(f, true, true);
  }
}

void follow_storage(Follower& f) {
  static std::atomic<bool> started{false};
  if (started || is_pipe(f.where)) return;
  HttpRequest r;
  r.path = "/v4.0.0/libpod/info";
  r.timeout_ms = kAskMs;
  r.max_body = size_t{4} << 20;
  HttpAnswer a = http_engine(f.where, r);
  if (a.state != HttpAnswer::Answered || a.status != 200) return;
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  std::string_view root, driver;
  if (parser.parse(a.body).get(e) || e["store"]["graphRoot"].get(root) || e["store"]["graphDriverName"].get(driver) ||
      root.empty() || root[0] != '/' || driver.find('/') != std::string_view::npos)
    return;
  std::vector<std::string> folders = {std::string(root) + "/" + std::string(driver) + "-images",
                                      std::string(root) + "/libpod"};
  if (started.exchange(true)) return;
  try {
    std::thread([&f, folders] { watch_storage(f, folders); }).detach();
  } catch (const std::system_error&) {
    started = false;
  }
}

std::string parent_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

void run(Follower& f) {
  Waiter waiter;
  bool folder = !is_pipe(f.where) && waiter.watch_folder(parent_of(f.where));
  long long retry = kFirstRetryMs;
  int soon = 0;  // quick tries left after the socket's folder changed
  while (true) {
    // The backoff starts again after a stream that ended calmly (the engine
    // stopped) or served a while; one refused, garbled or stalled at once
    // doubles it.
    bool calm = false;
    {
      EventStream es;  // closed before the wait below
      if (es.open(f.where, now_ms() + kAskMs)) {
        // The state, read once the stream holds every change after it.
        follow_storage(f);  // first: a change while the state is read wakes a refresh
        long long opened = now_ms();
        if (refresh(f, true, true, true) >= 0) calm = follow(f, es) || now_ms() - opened >= kServedMs;
      }
    }
    go_down(f);
    retry = calm ? kFirstRetryMs : std::min(retry * 2, kMaxRetryMs);
    if (calm) soon = 0;
    long long wait = soon > 0 ? kSoonMs : retry;
    if (soon > 0) --soon;
    if (!folder) folder = !is_pipe(f.where) && waiter.watch_folder(parent_of(f.where));
    unsigned got = waiter.wait(now_ms() + wait);
    if (got & Waiter::kFolder) soon = 4;  // the socket may be there now, or in a moment
  }
}

}  // namespace

bool start(const std::string& where, std::function<void()> on_change) {
  if (where.empty() || g_follower.load()) return false;
  auto* f = new Follower;  // lives as long as the process
  f->where = where;
  f->on_change = std::move(on_change);
  try {
    std::thread([f] { run(*f); }).detach();
  } catch (const std::system_error&) {
    delete f;
    return false;
  }
  g_follower.store(f);
  return true;
}

bool live() {
  Follower* f = g_follower.load();
  if (!f) return false;
  std::lock_guard lock(f->mu);
  return f->live;
}

std::optional<bool> image(const std::string& where, const std::string& image, uint64_t& ticket) {
  ticket = 0;
  Follower* f = g_follower.load();
  if (!f || f->where != where) return std::nullopt;
  std::lock_guard lock(f->mu);
  if (!f->live) return std::nullopt;
  ticket = f->image_gen;
  auto it = f->images.find(image);
  if (it == f->images.end()) return std::nullopt;
  return it->second;
}

void learned(const std::string& where, const std::string& image, bool present, uint64_t ticket) {
  Follower* f = g_follower.load();
  if (!f || f->where != where) return;
  std::unique_lock lock(f->mu);
  if (!f->live) {
    // No stream: a probe asked the engine. When that differs from what was
    // known, watches are told now, not at the next reconnection or re-probe.
    auto it = f->images.find(image);
    if (it == f->images.end() || it->second == present) return;
    it->second = present;
    lock.unlock();
    f->on_change();
    return;
  }
  if (ticket == 0 || ticket != f->image_gen || f->images.count(image)) return;
  if (f->images.size() >= kMaxTracked) {
    f->images.erase(f->order.front());
    f->order.pop_front();
  }
  f->images.emplace(image, present);
  f->order.push_back(image);
}

std::string container_state(const std::string& where) {
  Follower* f = g_follower.load();
  if (f && f->where == where) {
    std::lock_guard lock(f->mu);
    if (f->live) return f->container;
  }
  if (where.empty()) return "unreachable";
  std::string s = ask_container(where);
  return s.empty() ? "unreachable" : s;
}

void set_verify_ms(long long ms) {
  if (ms > 0) g_verify_ms = ms;
}

}  // namespace hvym::engine_follow
