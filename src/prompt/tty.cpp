// Questions on the terminal: prompts on standard error, answers read from
// standard input a byte at a time (nothing typed ahead is swallowed).
// Ctrl-C or Ctrl-D cancels; a secret is read with echo off, and the
// terminal is put back however the read ends.
#include <cstdlib>
#include <string>

#include "platform/fs.h"
#include "platform/term.h"
#include "platform/process.h"
#include "prompt/impl.h"

namespace hvym::prompting {
namespace {

using term::InterruptScope;
using term::NoEcho;

enum class Got { Line, End, Interrupted };

Got read_line(std::string& line) {
  line.clear();
  while (true) {
    // Ctrl-C may come before read() starts: look at the flag between short
    // waits instead of trusting read() to be interrupted.
    if (term::interrupted()) return Got::Interrupted;
    char c;
    int n = term::read_byte(c, 100);
    if (n == -2) continue;
    if (n <= 0) return line.empty() ? Got::End : Got::Line;
    if (c == '\n') break;
    line += c;
    if (line.size() > (1u << 20)) break;  // nobody types a megabyte
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return Got::Line;
}

// Writes the prompt, then reads one line.
Got prompt_line(Sink& err, std::string_view prompt, std::string& line, bool hidden = false) {
  if (!hidden) {
    err.write(prompt);
    err.flush();
    return read_line(line);
  }
  Got got;
  {
    NoEcho quiet;  // before the prompt: what is typed after seeing it is never echoed
    err.write(prompt);
    err.flush();
    got = read_line(line);
  }
  err.put('\n');  // the Enter that was not echoed
  err.flush();
  return got;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

Answer answered(std::string text) { return {Outcome::Answered, std::move(text), {}}; }
Answer cancelled() { return {Outcome::Cancelled, {}, {}}; }

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// "~/x" as the shell would expand it.
std::string expand_home(const std::string& path) {
  std::string home = fs::home_dir();
  if (!home.empty() && (path == "~" || path.rfind("~/", 0) == 0)) return home + path.substr(1);
  return path;
}

Answer choose(Sink& err, const Question& q, std::string& line) {
  size_t pick = 1;
  err.line(q.message);
  for (size_t i = 0; i < q.choices.size(); ++i) {
    if (q.choices[i] == q.initial) pick = i + 1;
    err.write("  ");
    err.write(std::to_string(i + 1));
    err.write(") ");
    err.line(q.choices[i]);
  }
  std::string prompt = "Choose 1-" + std::to_string(q.choices.size()) + " [" + std::to_string(pick) + "]: ";
  while (true) {
    Got got = prompt_line(err, prompt, line);
    if (got != Got::Line) return cancelled();
    std::string t = trim(line);
    if (t.empty()) return answered(std::string(q.choices[pick - 1]));
    for (size_t i = 0; i < q.choices.size(); ++i)
      if (t == std::to_string(i + 1) || t == q.choices[i]) return answered(std::string(q.choices[i]));
    err.line("Please enter a number from 1 to " + std::to_string(q.choices.size()) + ".");
  }
}

Answer text(Sink& err, const Question& q, std::string& line) {
  err.line(q.message);
  if (!q.initial.empty()) {
    err.line("Current text:");
    err.line(q.initial);
  }
  err.line("Type the new text and end it with a line holding only \".\" (or Ctrl-D);"
           " end it at once to keep the current text.");
  std::string all;
  bool any = false;
  while (true) {
    Got got = prompt_line(err, "", line);
    if (got == Got::Interrupted) return cancelled();
    if (got == Got::End || line == ".") break;
    if (any) all += '\n';
    all += line;
    any = true;
  }
  return answered(any ? all : std::string(q.initial));
}

Answer file(Sink& err, const Question& q, std::string& line) {
  std::string prompt(q.message);
  if (!q.patterns.empty()) {
    prompt += " (";
    for (size_t i = 0; i < q.patterns.size(); ++i) prompt += (i ? ", " : "") + std::string(q.patterns[i]);
    prompt += ")";
  }
  prompt += " ";
  while (true) {
    if (prompt_line(err, prompt, line) != Got::Line) return cancelled();
    std::string path = expand_home(trim(line));
    std::string why = check_answer(q, path);
    if (why.empty()) return answered(path);
    err.line(why);
  }
}

}  // namespace

Answer ask_terminal(Sink& err, const Question& q) {
  InterruptScope scope;
  std::string line;
  switch (q.kind) {
    case Ask::Message:
      err.line(q.message);
      return prompt_line(err, "(press Enter) ", line) == Got::Interrupted ? cancelled() : answered("");
    case Ask::YesNo:
      while (true) {
        if (prompt_line(err, std::string(q.message) + " [y/n] ", line) != Got::Line) return cancelled();
        std::string t = lower(trim(line));
        if (t == "y" || t == "yes") return answered("yes");
        if (t == "n" || t == "no") return cancelled();
        err.line("Please answer y or n.");
      }
    case Ask::Choice: return choose(err, q, line);
    case Ask::Line: {
      std::string prompt(q.message);
      if (!q.initial.empty()) prompt += " [" + std::string(q.initial) + "]";
      if (prompt_line(err, prompt + " ", line) != Got::Line) return cancelled();
      return answered(line.empty() ? std::string(q.initial) : line);
    }
    case Ask::Secret:
      if (prompt_line(err, std::string(q.message) + " ", line, /*hidden=*/true) != Got::Line) return cancelled();
      return answered(line);
    case Ask::Text: return text(err, q, line);
    case Ask::File: return file(err, q, line);
    case Ask::Copy:
      err.line(q.message);
      err.line("");
      err.line(q.initial);
      err.line("");
      return prompt_line(err, "(press Enter when done) ", line) == Got::Interrupted
                 ? cancelled()
                 : answered(std::string(q.initial));
  }
  return cancelled();
}

void show_terminal(Sink& err, std::string_view text) {
  err.line(text);
  err.flush();
}

int busy_terminal(Sink& err, std::string_view message, unsigned seconds) {
  InterruptScope scope;
  static const char kSpin[] = "|/-\\";
  struct Ctx {
    Sink& err;
    std::string_view message;
    unsigned turn;
  } ctx{err, message, 0};
  auto still = [](void* p) {
    auto& c = *static_cast<Ctx*>(p);
    if (term::interrupted()) return false;
    c.err.write("\r");
    c.err.put(kSpin[c.turn++ % 4]);
    c.err.put(' ');
    c.err.write(c.message);
    c.err.flush();
    return true;
  };
  wait_busy(seconds, still, &ctx);
  err.write("\r\x1b[K");
  err.flush();
  return term::interrupted() ? 1 : 0;
}

}  // namespace hvym::prompting
