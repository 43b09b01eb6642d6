#include "prompt/prompt.h"

#include <cstdlib>
#include <cstring>

#include "unit/args.h"
#include "platform/fs.h"
#include "platform/files.h"
#include "platform/sys.h"
#include "platform/process.h"
#include "prompt/impl.h"

namespace hvym {

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
      if (prompting::window_fallback(c.dialog)) {  // Windows: hvym.exe's own dialog mode
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
