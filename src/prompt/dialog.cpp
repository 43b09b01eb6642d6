// Questions through a dialog program, a separate process: the command line
// for each program, the text shown or edited on its standard input where
// the program allows it (never a secret in an argument), its answer on its
// standard output, exit 0 answered, 1 cancelled.
#include <cstdlib>
#include <string>
#include <vector>

#include "platform/fs.h"
#include "platform/process.h"
#include "prompt/impl.h"

namespace hvym::prompting {

const char* kind_word(Ask k) {
  switch (k) {
    case Ask::Message: return "message";
    case Ask::YesNo: return "yesno";
    case Ask::Choice: return "choice";
    case Ask::Line: return "line";
    case Ask::Text: return "text";
    case Ask::Secret: return "secret";
    case Ask::File: return "file";
    case Ask::Copy: return "copy";
  }
  return "message";
}

namespace {

using Args = std::vector<std::string>;

// zenity and kdialog read Pango/Qt markup in their labels.
std::string escape_markup(std::string_view s) {
  std::string r;
  for (char c : s) {
    if (c == '&') r += "&amp;";
    else if (c == '<') r += "&lt;";
    else if (c == '>') r += "&gt;";
    else r += c;
  }
  return r;
}

std::string s(std::string_view v) { return std::string(v); }

// hvym's own protocol (docs/dialogs.md).
void custom_args(const Question& q, Args& a, std::string& input) {
  a.insert(a.end(), {kind_word(q.kind), "--title", s(kBrand), "--text", s(q.message)});
  for (std::string_view c : q.choices) a.insert(a.end(), {"--choice", s(c)});
  for (std::string_view p : q.patterns) a.insert(a.end(), {"--pattern", s(p)});
  if (!q.filter_name.empty()) a.insert(a.end(), {"--filter-name", s(q.filter_name)});
  if (q.one_line) a.push_back("--one-line");
  if (q.secret_text) a.push_back("--read-only");
  input = q.initial;
}

void zenity_args(const Question& q, Args& a, std::string& input) {
  std::string text = "--text=" + escape_markup(q.message);
  a.push_back("--title=" + s(kBrand));
  switch (q.kind) {
    case Ask::Message: a.insert(a.end(), {"--info", text}); break;
    case Ask::YesNo: a.insert(a.end(), {"--question", text}); break;
    case Ask::Choice:
      // A plain list, the current choice first (radio buttons cannot be
      // toggled from the keyboard); OK with no row picked keeps it.
      a.insert(a.end(), {"--list", "--hide-header", "--column=Choice", "--height=260", text, "--"});
      if (!q.initial.empty()) a.push_back(s(q.initial));
      for (std::string_view c : q.choices)
        if (c != q.initial) a.push_back(s(c));
      break;
    case Ask::Line: a.insert(a.end(), {"--entry", text, "--entry-text=" + s(q.initial)}); break;
    case Ask::Secret: a.insert(a.end(), {"--entry", "--hide-text", text}); break;
    case Ask::Text:
    case Ask::Copy:
      // text-info shows no label: the message is the title; the text comes
      // on standard input, is selectable (copy) and editable.
      a.back() = "--title=" + s(q.message);
      if (q.secret_text) {  // read, not edited: read-only, every word in view
        a.insert(a.end(), {"--text-info", "--font=Monospace 12", "--width=640", "--height=420"});
      } else {
        a.insert(a.end(), {"--text-info", "--editable", "--width=560",
                           q.one_line ? "--height=160" : "--height=360"});
      }
      input = q.initial;
      break;
    case Ask::File: {
      a.back() = "--title=" + s(q.message);
      a.push_back("--file-selection");
      if (!q.patterns.empty()) {
        std::string f = "--file-filter=" + s(q.filter_name.empty() ? "Files" : q.filter_name) + " |";
        for (std::string_view p : q.patterns) f += " " + s(p);
        a.push_back(f);
      }
      break;
    }
  }
}

// kdialog's texts are arguments of their own, and Qt takes its options
// (-platformpluginpath, -style, ...) from anywhere in argv: a text that
// begins with '-' gets an invisible WORD JOINER in front, so no program
// reads it as an option (taken off the answer again: kdialog_answer).
constexpr std::string_view kJoiner = "\xE2\x81\xA0";
std::string kd(std::string_view v) { return !v.empty() && v[0] == '-' ? s(kJoiner) + s(v) : s(v); }

void kdialog_answer(std::string& text) {
  if (text.starts_with(kJoiner)) text.erase(0, kJoiner.size());
}

void kdialog_args(const Question& q, Args& a, std::string& input) {
  a.insert(a.end(), {"--title", s(kBrand)});
  std::string m = kd(escape_markup(q.message));
  switch (q.kind) {
    case Ask::Message: a.insert(a.end(), {"--msgbox", m}); break;
    case Ask::YesNo: a.insert(a.end(), {"--yesno", m}); break;
    case Ask::Choice:
      a.insert(a.end(), {"--combobox", m});
      for (std::string_view c : q.choices) a.push_back(kd(c));
      if (!q.initial.empty()) a.insert(a.end(), {"--default", kd(q.initial)});
      break;
    case Ask::Line: a.insert(a.end(), {"--inputbox", m, kd(q.initial)}); break;
    case Ask::Secret: a.insert(a.end(), {"--password", m}); break;
    case Ask::Text:
    case Ask::Copy:
      if (q.secret_text) {  // read-only, from standard input: never in argv (/proc/PID/cmdline)
        a.back() = kd(q.message);
        a.insert(a.end(), {"--textbox", "/dev/stdin", "640", "420"});
        input = q.initial;
      } else {
        a.insert(a.end(), {"--textinputbox", m, kd(q.initial)});
      }
      break;
    case Ask::File: {
      std::string home_dir = fs::home_dir();
      const char* home = home_dir.empty() ? nullptr : home_dir.c_str();
      std::string filter;
      for (std::string_view p : q.patterns) filter += (filter.empty() ? "" : " ") + s(p);
      if (!filter.empty()) filter += "|" + s(q.filter_name.empty() ? "Files" : q.filter_name);
      a.insert(a.end(), {"--getopenfilename", home ? home : ".", kd(filter)});
      break;
    }
  }
}

// An AppleScript string literal.
std::string applescript_string(std::string_view text) {
  std::string r = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') r += '\\';
    r += c;
  }
  return r + "\"";
}

// AppleScript reads its arguments as `argv`; nothing is quoted into the
// script, except a secret text: that goes in the script, which osascript
// reads from standard input ("-"), so it is never an argument.
void osascript_args(const Question& q, Args& a, std::string& input) {
  if (q.secret_text) {
    input = "on run argv\ndisplay dialog (item 2 of argv) & return & return & " + applescript_string(q.initial) +
            " with title item 1 of argv buttons {\"Cancel\", \"OK\"} default button 2 cancel button 1\nend run\n";
    a.insert(a.end(), {"-", s(kBrand), s(q.message)});
    return;
  }
  std::string script;
  std::string title = "with title item 1 of argv";
  switch (q.kind) {
    case Ask::Message:
      script = "display dialog (item 2 of argv) " + title + " buttons {\"OK\"} default button 1";
      break;
    case Ask::YesNo:
      script = "display dialog (item 2 of argv) " + title +
               " buttons {\"Cancel\", \"OK\"} default button 2 cancel button 1\nreturn \"yes\"";
      break;
    case Ask::Choice:
      script = "set r to choose from list (items 4 thru -1 of argv) " + title +
               " with prompt (item 2 of argv) default items {item 3 of argv}\n"
               "if r is false then error number -128\nreturn item 1 of r";
      break;
    case Ask::Line:
    case Ask::Text:
    case Ask::Copy:
      script = "return text returned of (display dialog (item 2 of argv) " + title +
               " default answer (item 3 of argv))";
      break;
    case Ask::Secret:
      script = "return text returned of (display dialog (item 2 of argv) " + title +
               " default answer \"\" with hidden answer)";
      break;
    case Ask::File:
      script = "return POSIX path of (choose file with prompt (item 2 of argv))";
      break;
  }
  a.insert(a.end(), {"-e", "on run argv", "-e", script, "-e", "end run", s(kBrand), s(q.message),
                     q.kind == Ask::Choice && q.initial.empty() && !q.choices.empty() ? s(q.choices[0])
                                                                                       : s(q.initial)});
  if (q.kind == Ask::Choice)
    for (std::string_view c : q.choices) a.push_back(s(c));
}

Args command_line(const Dialog& d, const Question& q, std::string& input) {
  Args a = d.start();
  switch (d.program) {
    case Dialog::Custom: custom_args(q, a, input); break;
    case Dialog::Zenity: zenity_args(q, a, input); break;
    case Dialog::Kdialog: kdialog_args(q, a, input); break;
    case Dialog::Osascript: osascript_args(q, a, input); break;
    case Dialog::Window: break;  // ask_in_window
  }
  return a;
}

std::string failed(const Dialog& d, int status, const std::string& err) {
  std::string why = status < 0 ? "killed by signal " + std::to_string(-status)
                               : "exit status " + std::to_string(status);
  std::string said = last_line(err);  // toolkits are chatty: the last line says it
  return "the dialog program " + d.name() + " failed (" + why + ")" + (said.empty() ? "" : ": " + said);
}

// GTK programs exit 1, as for Cancel, when they cannot reach the display.
bool no_display(const Dialog& d, const std::string& err) {
  return d.program != Dialog::Custom && err.find("cannot open display") != std::string::npos;
}

}  // namespace

Answer ask_dialog(const Dialog& d, const Question& q) {
  if (d.program == Dialog::Window) return ask_in_window(d, q);
  std::string input;
  Args argv = command_line(d, q, input);
  Conversation c = converse(argv, input);
  Answer a;
  if (!c.started) {
    a.error = "cannot run the dialog program " + d.name() + ": " + c.error;
    return a;
  }
  bool no_means_cancel = (c.status == 1 && !no_display(d, c.err)) ||
                         (d.program == Dialog::Zenity && c.status == 5);
  if (c.status == 0 || (q.kind == Ask::Message && no_means_cancel)) {
    a.outcome = Outcome::Answered;
    a.text = std::move(c.out);
    if (d.program == Dialog::Kdialog) kdialog_answer(a.text);
    settle_answer(q, a.text);
    return a;
  }
  if (no_means_cancel) {
    a.outcome = Outcome::Cancelled;
    return a;
  }
  a.error = failed(d, c.status, c.err);
  return a;
}

bool show_dialog(const Dialog& d, std::string_view text, unsigned seconds, std::string& error) {
  if (d.program == Dialog::Window) return show_in_window(d, text, seconds, error);
  std::string n = std::to_string(seconds);
  Args a = d.start();
  switch (d.program) {
    case Dialog::Custom: a.insert(a.end(), {"splash", "--title", s(kBrand), "--text", s(text), "--seconds", n}); break;
    case Dialog::Zenity:
      a.insert(a.end(), {"--info", "--title=" + s(kBrand), "--text=" + escape_markup(text), "--timeout=" + n});
      break;
    case Dialog::Kdialog: a.insert(a.end(), {"--title", s(kBrand), "--passivepopup", kd(text), n}); break;
    case Dialog::Osascript:
      a.insert(a.end(), {"-e", "on run argv", "-e",
                         "display dialog (item 1 of argv) buttons {\"OK\"} giving up after (item 2 of argv as integer)",
                         "-e", "end run", s(text), n});
      break;
    case Dialog::Window: break;  // show_in_window
  }
  Conversation c = converse(a, {});
  if (!c.started) return error = "cannot run the dialog program " + d.name() + ": " + c.error, false;
  // Timed out (zenity 5), dismissed early (1) or OK (0): all fine for a splash.
  if (c.status == 0 || (c.status == 1 && !no_display(d, c.err)) || (d.program == Dialog::Zenity && c.status == 5)) return true;
  error = failed(d, c.status, c.err);
  return false;
}

int busy_dialog(const Dialog& d, std::string_view message, unsigned seconds, Sink& err) {
  if (d.program == Dialog::Window) return busy_in_window(d, message, seconds, err);
  Args a = d.start();
  bool fed = true;  // the program ends when its standard input closes
  switch (d.program) {
    case Dialog::Custom: a.insert(a.end(), {"busy", "--title", s(kBrand), "--text", s(message)}); break;
    case Dialog::Zenity:
      a.insert(a.end(), {"--progress", "--pulsate", "--no-cancel", "--auto-close", "--title=" + s(kBrand),
                         "--text=" + escape_markup(message)});
      break;
    case Dialog::Kdialog:  // no pulsating bar without D-Bus: a passive popup, ended by hvym
      a.insert(a.end(), {"--title", s(kBrand), "--passivepopup", kd(message), std::to_string(seconds ? seconds : 3600)});
      fed = false;
      break;
    case Dialog::Osascript:
      a.insert(a.end(), {"-e", "on run argv", "-e", "display notification (item 1 of argv) with title (item 2 of argv)",
                         "-e", "delay 86400", "-e", "end run", s(message), s(kBrand)});
      fed = false;
      break;
    case Dialog::Window: break;  // busy_in_window
  }
  int p[2];
  if (!make_pipe(p)) return err.line("Error: cannot make a pipe for the dialog program."), 1;
  SpawnSpec spec;
  spec.quiet = true;
  spec.in = p[0];
  std::string error;
  long pid = spawn_process(a, spec, error);
  close_fd(p[0]);
  if (pid < 0) {
    close_fd(p[1]);
    err.line("Error: cannot run the dialog program " + d.name() + ": " + error + ".");
    return 1;
  }
  Shown w{pid};
  wait_busy(seconds, Shown::running, &w);
  close_fd(p[1]);
  // Closed before the end: the original's loading window answered that with
  // exit 0 and nothing printed, like one that ran its course.
  if (w.gone) return 0;
  if (!fed) terminate_process(pid);
  wait_process(pid);
  return 0;
}

}  // namespace hvym::prompting
