// What the ways of asking share (impl.h): a dialog's name in messages,
// answers settled and checked as a dialog's, waiting while a message shows.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "platform/fs.h"
#include "platform/process.h"
#include "platform/term.h"
#include "prompt/impl.h"
#include "unit/args.h"

namespace hvym::prompting {

std::vector<std::string> Dialog::start() const {
  std::vector<std::string> a{path};
  if (!lead.empty()) a.push_back(lead);
  return a;
}

std::string Dialog::name() const {
  switch (program) {
    case Custom: {  // $HVYM_DIALOG's program, or Windows' hvym.exe in its dialog mode
      const char* named = std::getenv("HVYM_DIALOG");
      return named && *named ? "$HVYM_DIALOG (" + path + ")" : lead.empty() ? path : path + " " + lead;
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

}  // namespace hvym::prompting
