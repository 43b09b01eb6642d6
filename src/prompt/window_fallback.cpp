// Asking on a desktop that has no dialog program. Windows: the dialog
// program hvym ships (hvym.exe's own dialog mode). Elsewhere, a terminal emulator
// window runs hvym itself (`hvym --ask-on-terminal DIR`), which asks with
// the terminal prompts of tty.cpp. The question and the answer travel
// through two FIFOs in a private folder (0700, made for this question;
// platform/window.h), so neither is an argument of any program nor a file
// on disk. xmessage, where there is one, answers messages, yes/no and
// short choices and shows the splash and the loading message; without it a
// terminal window shows those too.
#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "io/sink.h"
#include "json/utf8.h"
#include "platform/files.h"
#include "platform/fs.h"
#include "platform/process.h"
#include "platform/term.h"
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

// --- the locale of xmessage and the terminal window ----------------------------
// Both are given UTF-8 (texts, title, buttons) and read it in their locale:
// a UTF-8 one, the caller's when it is, else C.UTF-8. In a Latin-1 or C
// locale xmessage dropped what it could not convert (its title showed
// "HEAVYMETA" without the "®").
bool utf8_name(std::string_view v) {
  for (size_t i = 0; i + 4 <= v.size(); ++i) {
    auto lower = [&](size_t k) { return static_cast<char>(v[i + k] | 0x20); };
    if (lower(0) == 'u' && lower(1) == 't' && lower(2) == 'f' &&
        (v[i + 3] == '8' || (v[i + 3] == '-' && i + 5 <= v.size() && v[i + 4] == '8')))
      return true;
  }
  return false;
}

std::vector<std::string> utf8_locale() {
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* v = std::getenv(name);
    if (!v || !*v) continue;
    if (utf8_name(v)) return {};
    break;  // the first one set is the one that counts
  }
  return {"LC_ALL=C.UTF-8"};
}

// --- xmessage: messages, yes/no, choices whose labels it can show ---------------
// xmessage (Athena widgets, X core fonts) draws UTF-8 when its widgets are
// "international" (a font set, drawn through the locale): 9x18-pixel fixed
// fonts, whose Unicode ones (Debian's xfonts-base) hold Latin, Greek,
// Cyrillic, arrows and CJK; any 18-pixel font for what they lack. An X
// server without Unicode core fonts draws Latin-1 only (the rest came out
// as other Latin-1 characters): text beyond Latin-1 then goes to a
// terminal window (fontconfig's fonts), else to xmessage with '?' for what
// it cannot draw. Left to itself xmessage sizes its text to fit: a short
// one made a window of 100-odd pixels, so the text is given at least 400.
constexpr std::string_view kFontSet =
    "*fontSet: -misc-fixed-medium-r-normal--18-*-*-*-*-*-*-*,-*-*-medium-r-normal--18-*-*-*-*-*-*-*";
constexpr std::string_view kUnicodeFont = "-misc-fixed-medium-r-normal--18-*-*-*-*-*-iso10646-1";
constexpr int kCellPx = 9;         // the fonts' cell (18-pixel high)
constexpr int kMinTextPx = 400;    // the text's width at least
constexpr int kTextMarginPx = 30;  // its scroll bar and margins

bool wide(uint32_t cp) {  // two cells: CJK, Hangul, full-width forms
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

constexpr int kMaxCells = 72;       // a longer line is wrapped (xmessage cut it at 70% of the screen)

// The widest line in cells (a tab: up to the next multiple of 8).
int cells(std::string_view text) {
  int widest = 0, line = 0;
  auto p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    size_t n = utf8::decode(p + i, text.size() - i, cp);
    if (n == 0) cp = '?', n = 1;
    i += n;
    if (cp == '\n') line = 0;
    else if (cp == '\t') line = (line / 8 + 1) * 8;
    else line += wide(cp) ? 2 : 1;
    widest = std::max(widest, line);
  }
  return widest;
}

// The text with its lines longer than `max` cells broken at their last
// space that keeps them within it (a word longer than a line: within it).
std::string wrapped(std::string_view text, int max) {
  std::string out;
  auto p = reinterpret_cast<const unsigned char*>(text.data());
  size_t start = 0, space = std::string_view::npos;  // of the line being made
  int width = 0, at_space = 0;
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    size_t n = utf8::decode(p + i, text.size() - i, cp);
    if (n == 0) cp = '?', n = 1;
    if (cp == '\n') {
      out.append(text.substr(start, i + 1 - start));
      start = i + 1, space = std::string_view::npos, width = 0;
      i += n;
      continue;
    }
    int w = cp == '\t' ? 8 - width % 8 : wide(cp) ? 2 : 1;
    if (width + w > max && i > start) {
      if (space != std::string_view::npos) {  // break at the space; what followed it starts the next line
        out.append(text.substr(start, space - start)) += '\n';
        start = space + 1, width -= at_space + 1;
      } else {
        out.append(text.substr(start, i - start)) += '\n';
        start = i, width = 0;
      }
      space = std::string_view::npos;
      continue;  // this character again, on the new line
    }
    if (cp == ' ') space = i, at_space = width;
    width += w;
    i += n;
  }
  out.append(text.substr(start));
  return out;
}

bool beyond_latin1(std::string_view text) {
  auto p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    size_t n = utf8::decode(p + i, text.size() - i, cp);
    if (n == 0 || cp > 0xFF) return true;
    i += n;
  }
  return false;
}

// The text with '?' for each character beyond Latin-1 (or byte that is not
// UTF-8), still UTF-8.
std::string within_latin1(std::string_view text) {
  std::string out;
  auto p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    size_t n = utf8::decode(p + i, text.size() - i, cp);
    if (n == 0 || cp > 0xFF) out += '?';
    else out.append(text.substr(i, n));
    i += n ? n : 1;
  }
  return out;
}

// Whether the X server has the Unicode core font: asked of xlsfonts, which
// comes with xmessage (Debian's x11-utils); it lists what matches.
bool unicode_core_font() {
  std::string lister = find_in_path("xlsfonts");
  if (lister.empty()) return false;
  Conversation c = run_capture({lister, "-fn", std::string(kUnicodeFont)}, 10000);
  return c.status == 0 && !c.out.empty();
}

// How xmessage would show these texts: as they are, with '?' beyond
// Latin-1, or not at all (a terminal window shows them).
enum class Drawn { Whole, Latin1, Elsewhere };
Drawn drawn(std::initializer_list<std::string_view> texts, std::span<const std::string_view> more = {}) {
  bool beyond = false;
  for (std::string_view t : texts) beyond = beyond || beyond_latin1(t);
  for (std::string_view t : more) beyond = beyond || beyond_latin1(t);
  if (!beyond || unicode_core_font()) return Drawn::Whole;
  return terminal_window(std::string(kBrand), {"x"}).empty() ? Drawn::Latin1 : Drawn::Elsewhere;
}

// What xmessage is given to show: its lines wrapped; with '?' for what is
// beyond Latin-1 when it cannot draw that.
std::string for_xmessage(std::string_view text, bool latin1) {
  return wrapped(latin1 ? within_latin1(text) : std::string(text), kMaxCells);
}

// xmessage showing `text` (given on its standard input, never as an
// argument: xmessage read "-iconic" there as an option) with `options`.
std::vector<std::string> xmessage_argv(const Dialog& d, std::string_view text, std::vector<std::string> options) {
  std::vector<std::string> argv = {d.path, "-center", "-title", std::string(kBrand), "-xrm", "*international: true",
                                   "-xrm", std::string(kFontSet)};
  if (cells(text) * kCellPx + kTextMarginPx < kMinTextPx)
    argv.insert(argv.end(), {"-xrm", "*message.width: " + std::to_string(kMinTextPx)});
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"-file", "-"});
  return argv;
}

// What xmessage said on standard error, less its warnings (a font set
// missing a character set, say): "" when only those.
std::string complaint(std::string_view err) {
  std::string out;
  while (!err.empty()) {
    size_t end = err.find('\n');
    std::string_view line = err.substr(0, end);
    err.remove_prefix(end == std::string_view::npos ? err.size() : end + 1);
    if (line.empty() || line.starts_with("Warning:")) continue;
    out += line;
    out += '\n';
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

Answer ask_xmessage(const Dialog& d, const Question& q, bool latin1) {
  auto shown = [latin1](std::string_view t) { return latin1 ? within_latin1(t) : std::string(t); };
  // Exit status 10+i for the i-th button; anything else (closed) is cancel.
  std::vector<std::string> labels;
  if (q.kind == Ask::Message) labels = {"OK"};
  else if (q.kind == Ask::YesNo) labels = {"OK", "Cancel"};
  else
    for (std::string_view c : q.choices) labels.emplace_back(c);
  std::string buttons;
  for (size_t i = 0; i < labels.size(); ++i)
    buttons += (i ? "," : "") + shown(labels[i]) + ":" + std::to_string(10 + i);
  std::string def = shown(q.kind == Ask::Choice && !q.initial.empty() ? std::string(q.initial) : labels[0]);
  std::string message = for_xmessage(q.message, latin1);
  std::vector<std::string> argv = xmessage_argv(d, message, {"-buttons", buttons, "-default", def});
  Conversation c = talk({.argv = argv, .env = utf8_locale(), .input = message});
  Answer a;
  if (!c.started) return a.error = "cannot run xmessage: " + c.error, a;
  int i = c.status - 10;
  if (i < 0 || i >= static_cast<int>(labels.size())) {
    if (c.status == 1 && c.err.find("Can't open display") == std::string::npos) return a.outcome = Outcome::Cancelled, a;
    std::string said = complaint(c.err);
    if (c.status > 1 || c.status < 0 || !said.empty())
      return a.error = "xmessage failed: " +
                       last_line(said.empty() ? "exit status " + std::to_string(c.status) : said), a;
    return a.outcome = Outcome::Cancelled, a;
  }
  if (q.kind == Ask::YesNo && i == 1) return a.outcome = Outcome::Cancelled, a;
  a.outcome = Outcome::Answered;
  a.text = q.kind == Ask::Choice ? labels[static_cast<size_t>(i)] : q.kind == Ask::YesNo ? "yes" : "";
  return a;
}

// --- a terminal window running hvym -------------------------------------------
// Opened on the FIFOs of `fifos`, in a UTF-8 locale: the pid, or -1 with
// the reason in error.
long open_window(const window::Fifos& fifos, std::string& error) {
  std::string self = fs::self_exe();
  if (self.empty()) return error = "cannot find hvym's own executable", -1;
  std::vector<std::string> argv = terminal_window(std::string(kBrand), {self, "--ask-on-terminal", fifos.dir()});
  if (argv.empty()) return error = "no terminal emulator", -1;
  return spawn_process(argv, {.out = SpawnSpec::Null, .quiet = true, .env = utf8_locale()}, error);
}

Answer ask_window(const Question& q) {
  Answer a;
  window::Fifos fifos;
  if (!fifos.make(a.error)) return a;
  long pid = open_window(fifos, a.error);
  if (pid < 0) return a;
  // The window's hvym opens the question FIFO for reading once it runs.
  bool gone;
  int qfd = fifos.open_question(pid, now_ms() + kStartMs, gone);
  if (qfd < 0) {
    if (gone) return a.outcome = Outcome::Cancelled, a;  // closed before hvym in it asked
    terminate_process(pid);
    wait_process(pid);
    return a.error = "the terminal window did not start hvym", a;
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

// The splash ('S', for `seconds`) or the loading message ('B', as long as
// wait_busy says) in a terminal window, for a desktop without xmessage. The
// window's hvym shows the text until this hvym closes the answer FIFO (or
// ends); closing the window early ends the display, as with xmessage.
bool show_in_terminal_window(char kind, std::string_view text, unsigned seconds, std::string& error) {
  window::Fifos fifos;
  if (!fifos.make(error)) return false;
  long pid = open_window(fifos, error);
  if (pid < 0) return false;
  bool gone;
  int qfd = fifos.open_question(pid, now_ms() + kStartMs, gone);
  if (qfd < 0) {
    if (gone) return true;  // closed before it showed anything
    terminate_process(pid);
    wait_process(pid);
    return error = "the terminal window did not start hvym", false;
  }
  std::string request(1, kind);
  field(request, text);
  bool sent = write_fd(qfd, request);
  close_fd(qfd);
  int afd = sent ? fifos.open_answer(false) : -1;  // held open while it shows
  Shown w{pid};
  if (afd >= 0 && kind == 'B') {
    wait_busy(seconds, Shown::running, &w);
  } else if (afd >= 0) {
    long long end = now_ms() + 1000LL * (seconds ? seconds : 1);  // as xmessage's -timeout
    while (now_ms() < end && !w.ended()) term::pause_ms(100);
  }
  if (afd >= 0) close_fd(afd);
  if (w.gone) return true;
  // Its hvym ends when the FIFO closes, and the window with it.
  for (long long end = now_ms() + 3000; now_ms() < end && !w.ended();) term::pause_ms(50);
  if (!w.gone) {
    terminate_process(pid);
    wait_process(pid);
  }
  return true;
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
  if (!terminal_window(std::string(kBrand), {"x"}).empty()) {
    d = {Dialog::Window, ""};
    return true;
  }
  return false;
}

Answer ask_in_window(const Dialog& d, const Question& q) {
  if (d.path.empty() || !xmessage_fits(q)) return ask_window(q);
  Drawn how = drawn({q.message, q.initial}, q.choices);
  if (how == Drawn::Elsewhere) return ask_window(q);
  return ask_xmessage(d, q, how == Drawn::Latin1);
}

bool show_in_window(const Dialog& d, std::string_view text, unsigned seconds, std::string& error) {
  Drawn how = d.path.empty() ? Drawn::Elsewhere : drawn({text});
  if (how == Drawn::Elsewhere) return show_in_terminal_window('S', text, seconds, error);
  std::string shown = for_xmessage(text, how == Drawn::Latin1);
  std::vector<std::string> argv =
      xmessage_argv(d, shown, {"-buttons", "OK:0", "-timeout", std::to_string(seconds ? seconds : 1)});
  Conversation c = talk({.argv = argv, .env = utf8_locale(), .input = shown});
  if (!c.started) return error = "cannot run xmessage: " + c.error, false;
  std::string said = complaint(c.err);
  if (c.status == 0 || (c.status == 1 && said.empty())) return true;
  return error = "xmessage failed: " + last_line(said), false;
}

int busy_in_window(const Dialog& d, std::string_view message, unsigned seconds, Sink& err) {
  std::string error;
  Drawn how = d.path.empty() ? Drawn::Elsewhere : drawn({message});
  if (how == Drawn::Elsewhere) {
    if (show_in_terminal_window('B', message, seconds, error)) return 0;
    return err.line("Error: cannot show the loading message: " + error + "."), 1;
  }
  std::string shown = for_xmessage(message, how == Drawn::Latin1);
  // xmessage without buttons, ended by hvym; the text on its standard
  // input, read at once (it is small).
  int p[2];
  if (!make_pipe(p)) return err.line("Error: cannot make a pipe for xmessage."), 1;
  SpawnSpec spec{.quiet = true, .in = p[0], .env = utf8_locale()};
  long pid = spawn_process(xmessage_argv(d, shown, {"-buttons", ""}), spec, error);
  close_fd(p[0]);
  if (pid >= 0) write_fd(p[1], shown);
  close_fd(p[1]);
  if (pid < 0) return err.line("Error: cannot run xmessage: " + error + "."), 1;
  Shown w{pid};
  wait_busy(seconds, Shown::running, &w);
  // Closed before the end: the original's loading window answered that with
  // exit 0 and nothing printed, like one that ran its course.
  if (w.gone) return 0;
  terminate_process(pid);
  wait_process(pid);
  return 0;
}

// The window's side of show_in_terminal_window: the text, then (for the
// loading message) a turning bar under it, until the other hvym closes the
// answer FIFO.
int show_until_closed(char kind, std::string_view in, int afd) {
  std::string text;
  if (!take(in, text) || !in.empty()) return kFailed;
  FdSink err(2);
  show_terminal(err, text);
  struct Ctx {
    FdSink& err;
    int afd;
    bool spin;
    unsigned turn = 0;
  } ctx{err, afd, kind == 'B'};
  auto still = [](void* p) {
    auto& c = *static_cast<Ctx*>(p);
    if (window::reader_gone(c.afd)) return false;  // the other hvym closed it: the end
    if (c.spin) {
      c.err.write("\r");
      c.err.put("|/-\\"[c.turn++ % 4]);
      c.err.flush();
    }
    return true;
  };
  wait_busy(0, still, &ctx);
  return kOk;
}

int answer_on_terminal(const char* dir) {
  std::string folder(dir);
  std::string text;
  int qfd = window::open_question_to_read(folder);
  int afd = -1;
  Owned o;
  bool read = qfd >= 0 && fs::read_fd(qfd, text, 1 << 20);
  if (qfd >= 0) close_fd(qfd);
  if (read && !text.empty() && (text[0] == 'S' || text[0] == 'B')) {
    afd = window::open_answer_to_write(folder);
    int rc = afd < 0 ? kFailed : show_until_closed(text[0], std::string_view(text).substr(1), afd);
    if (afd >= 0) close_fd(afd);
    return rc;
  }
  bool ok = read && decode(text, o);
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
