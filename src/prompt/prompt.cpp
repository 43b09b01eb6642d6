#include "prompt/prompt.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "unit/args.h"
#include "platform/fs.h"
#include "platform/term.h"
#include "platform/files.h"
#include "platform/sys.h"
#include "platform/process.h"
#include "prompt/impl.h"

namespace hvym {
namespace prompting {

std::string Dialog::name() const {
  switch (program) {
    case Custom: {  // $HVYM_DIALOG's program, or Windows' hvym-dialog.exe found without it
      const char* named = std::getenv("HVYM_DIALOG");
      return named && *named ? "$HVYM_DIALOG (" + path + ")" : path;
    }
    case Zenity: return "zenity";
    case Kdialog: return "kdialog";
    case Osascript: return "osascript";
    case Window: return path.empty() ? "a terminal window" : "xmessage or a terminal window";
  }
  return path;
}

namespace {

bool ends_with_nocase(std::string_view s, std::string_view suffix) {
  if (suffix.size() > s.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char a = s[s.size() - suffix.size() + i], b = suffix[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

}  // namespace

void settle_answer(const Question& q, std::string& text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (q.kind == Ask::YesNo) text = "yes";
  if (q.kind == Ask::Message) text.clear();
  if (q.kind == Ask::Choice && text.empty())  // OK with nothing picked: the current one
    text = q.initial.empty() && !q.choices.empty() ? std::string(q.choices[0]) : std::string(q.initial);
  if (q.one_line) {
    size_t nl = text.find('\n');
    if (nl != std::string::npos) text.resize(nl);
  }
}

std::string check_answer(const Question& q, const std::string& text) {
  if (q.kind == Ask::Choice) {
    if (std::find(q.choices.begin(), q.choices.end(), text) != q.choices.end()) return "";
    std::string listed;
    for (std::string_view c : q.choices) listed += (listed.empty() ? "" : ", ") + py_repr(c);
    return py_repr(text) + " is not one of " + listed;
  }
  if (q.kind == Ask::File) {
    fs::Kind kind = text.empty() ? fs::Kind::Missing : fs::kind_of(text);
    if (kind == fs::Kind::Missing) return "no such file: " + text;
    if (kind != fs::Kind::File) return "not a file: " + text;
    if (q.patterns.empty()) return "";
    std::string listed;
    for (std::string_view p : q.patterns) {
      if (p.size() > 1 && p[0] == '*' && ends_with_nocase(text, p.substr(1))) return "";
      listed += (listed.empty() ? "" : " or ") + std::string(p);
    }
    return "not a " + listed + " file: " + text;
  }
  return "";
}

void wait_busy(unsigned seconds, bool (*still)(void*), void* ctx) {
  bool watch = term::input_is_pipe();
  long long end = seconds ? now_ms() + static_cast<long long>(seconds) * 1000 : 0;
  while (still(ctx)) {
    long long left = end ? end - now_ms() : 100;
    if (left <= 0) return;
    int wait = static_cast<int>(std::min(left, 100LL));
    if (!watch) {
      term::pause_ms(wait);
      continue;
    }
    int n = term::drain_input(wait);  // what the caller sends is not used
    if (n == 0 || n == -1) return;
  }
}

}  // namespace prompting

namespace {

using prompting::Dialog;

enum class Via { Relay, Terminal, Dialog, Nowhere };

struct Channel {
  Via via = Via::Nowhere;
  Dialog dialog{Dialog::Custom, {}};
  std::string error;  // Nowhere: why
};

bool set(const char* name) {
  const char* v = std::getenv(name);
  return v && *v;
}

// Where a question goes, decided when one is asked (never at startup).
Channel find_channel() {
  Channel c;
  if (prompting::relaying()) return c.via = Via::Relay, c;  // serve's client: wherever hvym runs
  if (fs::is_terminal(0) && fs::is_terminal(2)) return c.via = Via::Terminal, c;
  if (const char* custom = std::getenv("HVYM_DIALOG"); custom && *custom) {
    std::string path = std::strpbrk(custom, "/\\") ? custom : find_in_path(custom);
    if (path.empty() || !can_execute(path)) {
      c.error = std::string("HVYM_DIALOG names ") + custom + ", which is not an executable program";
      return c;
    }
    c.via = Via::Dialog;
    c.dialog = {Dialog::Custom, path};
    return c;
  }
  switch (sys::desktop()) {
    case sys::Desktop::MacOS:
      if (can_execute("/usr/bin/osascript")) {
        c.via = Via::Dialog;
        c.dialog = {Dialog::Osascript, "/usr/bin/osascript"};
        return c;
      }
      break;
    case sys::Desktop::X11:
      if (!set("DISPLAY") && !set("WAYLAND_DISPLAY")) break;
      for (auto [program, name] : {std::pair{Dialog::Zenity, "zenity"}, {Dialog::Kdialog, "kdialog"}}) {
        std::string path = find_in_path(name);
        if (path.empty()) continue;
        c.via = Via::Dialog;
        c.dialog = {program, path};
        return c;
      }
      if (prompting::window_fallback(c.dialog)) {  // no dialog program: xmessage, a terminal window
        c.via = Via::Dialog;
        return c;
      }
      break;
    case sys::Desktop::Windows:
      if (prompting::window_fallback(c.dialog)) {  // hvym-dialog.exe beside hvym.exe
        c.via = Via::Dialog;
        return c;
      }
      break;
  }
  c.error = "no terminal and no dialog program";
  return c;
}

// Why asking is forbidden, or "".
std::string_view forbidden(const Call& call) {
  if (!call.no_input_why.empty()) return call.no_input_why;
  const char* v = std::getenv("HVYM_NO_INPUT");
  if (v && *v && std::strcmp(v, "0") != 0) return "HVYM_NO_INPUT is set";
  return {};
}

}  // namespace

Answer ask(Call& call, const Question& q) {
  Answer a;
  if (std::string_view why = forbidden(call); !why.empty()) {
    a.error = "cannot ask for " + std::string(q.what) + ": input is disabled (" + std::string(why) +
              "); give it as an argument";
    return a;
  }
  Channel c = find_channel();
  switch (c.via) {
    case Via::Terminal:
      a = prompting::ask_terminal(call.err, q);
      a.on_terminal = true;
      return a;
    case Via::Relay: a = prompting::ask_relay(q); break;
    case Via::Dialog: a = prompting::ask_dialog(c.dialog, q); break;
    case Via::Nowhere:
      a.error = "cannot ask for " + std::string(q.what) + ": " + c.error + "; give it as an argument";
      return a;
  }
  if (a.outcome == Outcome::Answered) {
    std::string why = prompting::check_answer(q, a.text);
    if (!why.empty()) {
      a.outcome = Outcome::Refused;
      std::string who = c.via == Via::Relay ? "the client" : "the dialog program " + c.dialog.name();
      a.error = who + " answered badly: " + why;
    }
  }
  return a;
}

int ask_on_terminal(const char* dir) { return prompting::answer_on_terminal(dir); }

int unanswered(Call& call, const Answer& a) {
  if (a.outcome == Outcome::Cancelled && call.cmd.on_cancel && !a.on_terminal) {
    call.out.write(call.cmd.on_cancel);
    return kClosed;
  }
  if (a.outcome == Outcome::Cancelled) return failure(call, "cancelled; nothing changed.");
  return failure(call, a.error + ".");
}

bool show_for(Call& call, std::string_view what, std::string_view text, unsigned seconds) {
  Channel c = find_channel();
  std::string error;
  switch (c.via) {
    case Via::Relay:
      if (prompting::show_relay("splash", text, seconds, error)) return true;
      error = "cannot show " + std::string(what) + ": " + error;
      break;
    case Via::Terminal: prompting::show_terminal(call.err, text); return true;
    case Via::Dialog:
      if (prompting::show_dialog(c.dialog, text, seconds, error)) return true;
      break;
    case Via::Nowhere: error = "cannot show " + std::string(what) + ": " + c.error; break;
  }
  failure(call, error + ".");
  return false;
}

int show_busy(Call& call, std::string_view message, unsigned seconds) {
  Channel c = find_channel();
  std::string error;
  switch (c.via) {
    case Via::Relay:  // the client shows it; hvym waits as with nowhere to show it
      if (prompting::show_relay("busy", message, seconds, error)) break;
      return failure(call, "cannot show the loading message: " + error + ".");
    case Via::Terminal: return prompting::busy_terminal(call.err, message, seconds);
    case Via::Dialog: return prompting::busy_dialog(c.dialog, message, seconds, call.err);
    case Via::Nowhere: break;
  }
  // Nowhere to show it: the wait alone, as the original's (which only
  // slept) did; a loading message is no question, so nothing failed.
  // Shown by serve's client: the same wait (the client shows it until the
  // request answers).
  prompting::wait_busy(seconds, [](void*) { return true; }, nullptr);
  return kOk;
}

}  // namespace hvym
