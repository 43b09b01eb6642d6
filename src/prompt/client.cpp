// Questions through the client of `hvym serve`. A command serve runs as a
// child process for a client that answers questions gets a connected
// socket (HVYM_ASK_FD, claimed by the dispatcher), and asks on it, one JSON
// object per line each way, one question at a time (docs/protocol.md,
// `ask` and `show`):
//
//   hvym -> serve  {"kind": "line", "what": "the Pintheon port", "message": "Enter Pintheon Port:", "default": "9998"}
//   serve -> hvym  {"answer": "9000"} | {"cancelled": true} | {"refused": "why"}
//
// The optional keys of a question ("default", "choices", "patterns",
// "filter", "one_line", "read_only") are left out when empty or false.
// A splash or loading message is {"kind": "splash" or "busy", "message":
// TEXT, "seconds": N}, answered {} (or refused) at once.
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "json/json_writer.h"
#include "platform/relay.h"
#include "platform/wipe.h"
#include "prompt/impl.h"
#include "simdjson.h"

namespace hvym {
namespace {

int g_fd = -1;
// Why the client cannot be reached any more (it left, or a line broke the
// framing): later questions fail at once with it.
std::string g_gone;

constexpr size_t kMaxLine = 1 << 20;  // as serve's own lines
constexpr const char* kGone = "the client that asked for this request is gone";

}  // namespace

void relay_questions(int fd) { g_fd = fd; }

namespace prompting {
namespace {

// What the JSON of `parts` can take at most: ensure_ascii writes no byte as
// more than six ("\udcff"); `items` strings of a list add quotes and commas.
size_t room_for(std::initializer_list<std::string_view> parts, size_t items) {
  size_t n = 256 + 8 * items;
  for (std::string_view p : parts) n += 6 * p.size();
  return n;
}

std::string question_line(const Question& q) {
  size_t items = q.choices.size() + q.patterns.size();
  size_t listed = 0;
  for (std::string_view c : q.choices) listed += c.size();
  for (std::string_view p : q.patterns) listed += p.size();
  std::string line;
  line.reserve(room_for({q.what, q.message, q.initial, q.filter_name}, items) + 6 * listed);
  {
    SecretStringSink sink(line);  // `line` reserved: no copy left behind
    JsonWriter w(sink);
    w.begin_object();
    w.key("kind");
    w.string(kind_word(q.kind));
    w.key("what");
    w.string(q.what);
    w.key("message");
    w.string(q.message);
    if (!q.initial.empty()) {
      w.key("default");
      w.string(q.initial);
    }
    auto list = [&](const char* name, std::span<const std::string_view> values) {
      if (values.empty()) return;
      w.key(name);
      w.begin_array();
      for (std::string_view v : values) w.string(v);
      w.end_array();
    };
    list("choices", q.choices);
    list("patterns", q.patterns);
    if (!q.filter_name.empty()) {
      w.key("filter");
      w.string(q.filter_name);
    }
    if (q.one_line) {
      w.key("one_line");
      w.boolean(true);
    }
    if (q.secret_text) {  // recovery words: shown whole, never logged
      w.key("read_only");
      w.boolean(true);
    }
    w.end_object();
    sink.put('\n');
  }
  return line;
}

std::string show_line(std::string_view kind, std::string_view text, unsigned seconds) {
  std::string line;
  line.reserve(room_for({kind, text}, 0));
  {
    SecretStringSink sink(line);  // `line` reserved: no copy left behind
    JsonWriter w(sink);
    w.begin_object();
    w.key("kind");
    w.string(kind);
    w.key("message");
    w.string(text);
    w.key("seconds");
    w.integer(seconds);
    w.end_object();
    sink.put('\n');
  }
  return line;
}

enum class Got { Answer, Cancelled, Refused, Nothing, Bad, Gone };

struct Reply {
  Got got = Got::Gone;
  // Answer: the answer; Refused: the client's reason; Bad: what is wrong
  // with the line; Gone: why the client cannot be reached.
  std::string text;
};

Reply gone(std::string why) {
  g_gone = std::move(why);
  return {Got::Gone, g_gone};
}

// One line from the client into buf (room for kMaxLine bytes and simdjson's
// padding), without its line end: its length, or a Gone reply.
bool read_line(char* buf, size_t& len, Reply& r) {
  len = 0;
  while (true) {
    long long n = relay::receive(g_fd, buf + len, kMaxLine + 1 - len);
    if (n == 0) return r = gone(kGone), false;
    if (n < 0) return r = gone(std::string("cannot read the client's answer: ") + std::strerror(errno)), false;
    size_t start = len;
    len += static_cast<size_t>(n);
    if (const void* nl = std::memchr(buf + start, '\n', len - start)) {
      size_t end = static_cast<size_t>(static_cast<const char*>(nl) - buf);
      // One question, one answer: more would be out of step from here on.
      if (end + 1 != len) return r = gone("the client sent more than one answer to one question"), false;
      len = end;
      if (len && buf[len - 1] == '\r') --len;
      return true;
    }
    if (len > kMaxLine) return r = gone("the client's answer is over 1 MB"), false;
  }
}

// What a line holds. A secret answer is wiped where simdjson put it
// unescaped; the copy in r.text is the caller's.
Reply parse(const char* buf, size_t len, bool secret) {
  Reply r{Got::Bad, {}};
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object obj;
  // No copy of the line inside simdjson: buf has its padding.
  if (parser.parse(buf, len, false).get(root) || root.get(obj)) {
    r.text = "not a JSON object";
    return r;
  }
  simdjson::dom::element v;
  std::string_view s;
  bool b = false;
  if (!obj["answer"].get(v)) {
    if (v.get(s)) return r.text = "\"answer\" is not text", r;
    r = {Got::Answer, std::string(s)};
    if (secret) wipe(const_cast<char*>(s.data()), s.size());
  } else if (!obj["cancelled"].get(v)) {
    if (v.get(b) || !b) return r.text = "\"cancelled\" is not true", r;
    r.got = Got::Cancelled;
  } else if (!obj["refused"].get(v)) {
    if (v.get(s)) return r.text = "\"refused\" is not text", r;
    r = {Got::Refused, s.empty() ? std::string("no reason given") : std::string(s)};
  } else if (obj.size() == 0) {
    r.got = Got::Nothing;
  } else {
    r.text = "an answer is {\"answer\": TEXT}, {\"cancelled\": true} or {\"refused\": REASON}";
  }
  return r;
}

// Sends one line and reads the client's answer to it.
Reply round_trip(std::string_view line, bool secret) {
  if (!g_gone.empty()) return {Got::Gone, g_gone};
  if (!relay::send_all(g_fd, line)) return gone(kGone);
  std::unique_ptr<char[]> buf(new char[kMaxLine + 1 + simdjson::SIMDJSON_PADDING]);
  size_t len = 0;
  Reply r;
  if (!read_line(buf.get(), len, r)) return r;
  std::memset(buf.get() + len, 0, simdjson::SIMDJSON_PADDING);
  r = parse(buf.get(), len, secret);
  if (secret) wipe(buf.get(), len);
  return r;
}

}  // namespace

bool relaying() { return g_fd >= 0; }

Answer ask_relay(const Question& q) {
  bool secret = q.kind == Ask::Secret || q.secret_text;
  std::string line = question_line(q);
  Reply r = round_trip(line, secret);
  if (secret) wipe(line);
  Answer a;
  switch (r.got) {
    case Got::Answer:
      a.outcome = Outcome::Answered;
      a.text = std::move(r.text);
      settle_answer(q, a.text);
      break;
    case Got::Cancelled:  // a message closed is a message seen, as with a dialog program
      a.outcome = q.kind == Ask::Message ? Outcome::Answered : Outcome::Cancelled;
      break;
    case Got::Refused: a.error = "cannot ask for " + std::string(q.what) + ": " + r.text; break;
    case Got::Nothing: a.error = "the client answered badly: {} is no answer"; break;
    case Got::Bad: a.error = "the client answered badly: " + r.text; break;
    case Got::Gone: a.error = "cannot ask for " + std::string(q.what) + ": " + r.text; break;
  }
  return a;
}

bool show_relay(std::string_view kind, std::string_view text, unsigned seconds, std::string& error) {
  Reply r = round_trip(show_line(kind, text, seconds), false);
  switch (r.got) {
    case Got::Nothing:
    case Got::Answer:
    case Got::Cancelled: return true;  // shown (what was answered beyond that is not used)
    case Got::Refused:
    case Got::Gone: error = r.text; return false;
    case Got::Bad: error = "the client answered badly: " + r.text; return false;
  }
  return false;
}

}  // namespace prompting
}  // namespace hvym
