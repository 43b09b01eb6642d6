// Asking on a desktop that has no dialog program. Windows: the dialog
// program hvym ships (hvym.exe's own dialog mode). Elsewhere, a terminal emulator
// window runs hvym itself (`hvym --ask-on-terminal DIR`), which asks with
// the terminal prompts of tty.cpp. The question and the answer travel
// through two FIFOs in a private folder (0700, made for this question;
// platform/window.h), so neither is an argument of any program nor a file
// on disk. xmessage, where there is one, answers messages, yes/no and
// short choices.
#include <cstdlib>
#include <string>
#include <vector>

#include "io/sink.h"
#include "json/utf8.h"
#include "platform/files.h"
#include "platform/fs.h"
#include "platform/process.h"
#include "platform/window.h"
#include "platform/wipe.h"
#include "prompt/impl.h"
#include "unit/command.h"

namespace hvym::prompting {
namespace {

constexpr long long kStartMs = 30000;  // for the window to open and hvym in it to start

// --- the question as bytes: "LEN:BYTES" fields --------------------------------
void field(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

bool take(std::string_view& in, std::string& out) {
  size_t colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 9) return false;
  size_t n = 0;
  for (size_t i = 0; i < colon; ++i) {
    if (in[i] < '0' || in[i] > '9') return false;
    n = n * 10 + static_cast<size_t>(in[i] - '0');
  }
  if (in.size() - colon - 1 < n) return false;
  out.assign(in.substr(colon + 1, n));
  in.remove_prefix(colon + 1 + n);
  return true;
}

std::string encode(const Question& q) {
  std::string out;
  field(out, std::to_string(static_cast<int>(q.kind)));
  field(out, q.what);
  field(out, q.message);
  field(out, q.initial);
  field(out, q.filter_name);
  field(out, q.one_line ? "1" : "0");
  field(out, q.secret_text ? "1" : "0");
  field(out, std::to_string(q.choices.size()));
  for (std::string_view c : q.choices) field(out, c);
  field(out, std::to_string(q.patterns.size()));
  for (std::string_view p : q.patterns) field(out, p);
  return out;
}

// A question decoded, owning its texts.
struct Owned {
  std::string kind, what, message, initial, filter_name, one_line, secret_text;
  std::vector<std::string> choices, patterns;
  std::vector<std::string_view> choice_views, pattern_views;
  Question q{Ask::Message, {}, {}};
  ~Owned() { wipe(initial); }
};

bool list(std::string_view& in, std::vector<std::string>& items) {
  std::string count;
  if (!take(in, count) || count.empty() || count.size() > 4) return false;
  for (int n = std::atoi(count.c_str()); n > 0; --n) {
    items.emplace_back();
    if (!take(in, items.back())) return false;
  }
  return true;
}

bool decode(std::string_view in, Owned& o) {
  if (!take(in, o.kind) || !take(in, o.what) || !take(in, o.message) || !take(in, o.initial) ||
      !take(in, o.filter_name) || !take(in, o.one_line) || !take(in, o.secret_text) || !list(in, o.choices) ||
      !list(in, o.patterns) || !in.empty())
    return false;
  int k = std::atoi(o.kind.c_str());
  if (k < 0 || k > static_cast<int>(Ask::Copy)) return false;
  for (const std::string& c : o.choices) o.choice_views.push_back(c);
  for (const std::string& p : o.patterns) o.pattern_views.push_back(p);
  o.q = {.kind = static_cast<Ask>(k), .what = o.what, .message = o.message, .initial = o.initial,
         .choices = o.choice_views, .patterns = o.pattern_views, .filter_name = o.filter_name,
         .one_line = o.one_line == "1", .secret_text = o.secret_text == "1"};
  return true;
}

// --- xmessage: messages, yes/no, choices whose labels it can show ---------------
// xmessage draws bytes in a Latin-1 font and names its window with them
// (WM_NAME as STRING): UTF-8 showed as "HEAVYMETAÂ®". Its text, title and
// buttons go as Latin-1; a character beyond it (or a byte that is not
// UTF-8) shows as '?'.
std::string latin1(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    size_t n = utf8::decode(p + i, text.size() - i, cp);
    if (n == 0) cp = '?', n = 1;
    out += cp <= 0xFF ? static_cast<char>(cp) : '?';
    i += n;
  }
  return out;
}

bool xmessage_fits(const Question& q) {
  if (q.kind == Ask::Message || q.kind == Ask::YesNo) return true;
  if (q.kind != Ask::Choice || q.choices.empty() || q.choices.size() > 8) return false;
  for (std::string_view c : q.choices)
    if (c.empty() || c.find_first_of(",:\\\n") != std::string_view::npos) return false;
  return true;
}

Answer ask_xmessage(const Dialog& d, const Question& q) {
  // Exit status 10+i for the i-th button; anything else (closed) is cancel.
  std::vector<std::string> labels;
  if (q.kind == Ask::Message) labels = {"OK"};
  else if (q.kind == Ask::YesNo) labels = {"OK", "Cancel"};
  else
    for (std::string_view c : q.choices) labels.emplace_back(c);
  std::string buttons;
  for (size_t i = 0; i < labels.size(); ++i)
    buttons += (i ? "," : "") + latin1(labels[i]) + ":" + std::to_string(10 + i);
  std::string def = latin1(q.kind == Ask::Choice && !q.initial.empty() ? std::string(q.initial) : labels[0]);
  std::vector<std::string> argv = {d.path, "-center", "-title", latin1(kBrand), "-buttons", buttons,
                                   "-default", def, "-file", "-"};
  Conversation c = converse(argv, latin1(q.message));
  Answer a;
  if (!c.started) return a.error = "cannot run xmessage: " + c.error, a;
  int i = c.status - 10;
  if (i < 0 || i >= static_cast<int>(labels.size())) {
    if (c.status == 1 && c.err.find("Can't open display") == std::string::npos) return a.outcome = Outcome::Cancelled, a;
    if (c.status > 1 || c.status < 0 || !c.err.empty())
      return a.error = "xmessage failed: " + last_line(c.err.empty() ? "exit status " + std::to_string(c.status) : c.err), a;
    return a.outcome = Outcome::Cancelled, a;
  }
  if (q.kind == Ask::YesNo && i == 1) return a.outcome = Outcome::Cancelled, a;
  a.outcome = Outcome::Answered;
  a.text = q.kind == Ask::Choice ? labels[static_cast<size_t>(i)] : q.kind == Ask::YesNo ? "yes" : "";
  return a;
}

// --- a terminal window running hvym -------------------------------------------
Answer ask_window(const Question& q) {
  Answer a;
  window::Fifos fifos;
  if (!fifos.make(a.error)) return a;
  std::string self = fs::self_exe();
  if (self.empty()) return a.error = "cannot find hvym's own executable", a;
  std::vector<std::string> argv = terminal_window("HEAVYMETA", {self, "--ask-on-terminal", fifos.dir()});
  if (argv.empty()) return a.error = "no terminal emulator", a;
  std::string error;
  long pid = spawn_process(argv, {.out = SpawnSpec::Null, .quiet = true}, error);
  if (pid < 0) return a.error = error, a;
  // The window's hvym opens the question FIFO for reading once it runs.
  bool gone;
  int qfd = fifos.open_question(pid, now_ms() + kStartMs, gone);
  if (qfd < 0) {
    if (gone) return a.outcome = Outcome::Cancelled, a;  // closed before hvym in it asked
    terminate_process(pid);
    wait_process(pid);
    return a.error = "the terminal window " + argv[0] + " did not start hvym", a;
  }
  std::string question = encode(q);
  bool sent = write_fd(qfd, question);
  close_fd(qfd);
  wipe(question);
  int afd = sent ? fifos.open_answer() : -1;  // its writer comes next
  std::string reply;
  bool got = afd >= 0 && fs::read_fd(afd, reply, 1 << 20);
  if (afd >= 0) close_fd(afd);
  wait_process(pid);  // the window closes when hvym in it ends
  if (!got || reply.empty()) return a.outcome = Outcome::Cancelled, a;  // the window was closed
  if (reply[0] == 'A') {
    a.outcome = Outcome::Answered;
    a.text = reply.substr(1);
  } else if (reply[0] == 'C') {
    a.outcome = Outcome::Cancelled;
  } else {
    a.error = reply.substr(1);
  }
  wipe(reply);
  return a;
}

}  // namespace

bool window_fallback(Dialog& d) {
  if (std::string own = window::own_dialog_program(); !own.empty()) {
    d = {Dialog::Custom, own, window::kDialogMode};
    return true;
  }
  if (std::string path = find_in_path("xmessage"); !path.empty()) {
    d = {Dialog::Window, path};  // xmessage where it fits, else a terminal window
    return true;
  }
  if (!terminal_window("HEAVYMETA", {"x"}).empty()) {
    d = {Dialog::Window, ""};
    return true;
  }
  return false;
}

Answer ask_in_window(const Dialog& d, const Question& q) {
  if (!d.path.empty() && xmessage_fits(q)) return ask_xmessage(d, q);
  return ask_window(q);
}

bool show_in_window(const Dialog& d, std::string_view text, unsigned seconds, std::string& error) {
  if (d.path.empty()) return error = "cannot show it: no dialog program (xmessage) for a display without answer", false;
  Conversation c = converse({d.path, "-center", "-title", latin1(kBrand), "-buttons", "OK:0", "-timeout",
                             std::to_string(seconds ? seconds : 1), "-file", "-"},
                            latin1(text));
  if (!c.started) return error = "cannot run xmessage: " + c.error, false;
  if (c.status == 0 || (c.status == 1 && c.err.empty())) return true;
  return error = "xmessage failed: " + last_line(c.err), false;
}

int answer_on_terminal(const char* dir) {
  std::string folder(dir);
  std::string text;
  int qfd = window::open_question_to_read(folder);
  int afd = -1;
  Owned o;
  bool ok = qfd >= 0 && fs::read_fd(qfd, text, 1 << 20) && decode(text, o);
  if (qfd >= 0) close_fd(qfd);
  wipe(text);
  afd = window::open_answer_to_write(folder);
  if (afd < 0) return kFailed;
  std::string reply;
  if (!ok) {
    reply = "Ethe question could not be read";
  } else {
    FdSink err(2);
    Answer a = ask_terminal(err, o.q);
    err.flush();
    reply = a.outcome == Outcome::Answered ? "A" + a.text : a.outcome == Outcome::Cancelled ? "C" : "E" + a.error;
    wipe(a.text);
  }
  bool sent = write_fd(afd, reply);
  close_fd(afd);
  wipe(reply);
  return sent ? kOk : kFailed;
}

}  // namespace hvym::prompting
