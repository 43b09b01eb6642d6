// Asking the person at the other end, without any UI code in hvym: in a
// command `hvym serve` runs for a client that answers questions, through
// that client (relay_questions below); else on a terminal (stdin and
// stderr are TTYs) the question is asked there; otherwise a dialog program
// runs as a separate process ($HVYM_DIALOG, else zenity or kdialog on
// Linux, osascript on macOS; protocol in docs/dialogs.md). Commands that
// ask declare kMayPrompt.
#pragma once
#include <span>
#include <string>
#include <string_view>

#include "unit/command.h"

namespace hvym {

enum class Ask : uint8_t {
  Message,  // shown until acknowledged
  YesNo,    // yes is an answer; no is Cancelled
  Choice,   // one of `choices`
  Line,     // one line of text, `initial` the default
  Text,     // several lines, `initial` the default
  Secret,   // one line, not echoed
  File,     // an existing file, matching one of `patterns` when given
  Copy,     // `initial` shown with a way to copy it; the (edited) text is the answer
};

struct Question {
  Ask kind;
  std::string_view what;     // names it in errors: "the Pintheon port"
  std::string_view message;  // what the person reads
  std::string_view initial = {};
  std::span<const std::string_view> choices = {};
  std::span<const std::string_view> patterns = {};  // File: "*.png"
  std::string_view filter_name = {};                // File: "Images"
  bool one_line = false;                            // Copy: a single line
  // Copy: `initial` is a secret to be read, not edited (recovery words):
  // shown read-only and whole, and never put in a program's arguments.
  bool secret_text = false;
};

enum class Outcome : uint8_t { Answered, Cancelled, Refused };

struct Answer {
  Outcome outcome = Outcome::Refused;
  std::string text;   // Answered: the answer, without a trailing line end
  std::string error;  // Refused: why nothing could be asked, or what failed
  bool on_terminal = false;  // asked on hvym's own terminal, not in a dialog
};

// Asks, unless asking is forbidden (--no-input, HVYM_NO_INPUT=1, batch) or
// there is no way to ask: then Refused with the reason in `error`.
Answer ask(Call& call, const Question& q);

// For an answer that is not Answered: writes "Error: ..." (cancelled,
// nothing changed; or the reason) and returns 1. A closed dialog of a
// command with an `on_cancel` answer prints that and returns 0 instead,
// as the original did (nothing changes either way).
int unanswered(Call& call, const Answer& a);

// Shows text for `seconds` without waiting for anybody (the splash). On a
// terminal it is printed to standard error at once; serve's client is told
// to show it, and hvym goes on at once. False with a message on call.err
// when there is nowhere to show it.
bool show_for(Call& call, std::string_view what, std::string_view text, unsigned seconds);

// A pulsating "working" display with `message`, until `seconds` have passed
// (0: no limit) or, when standard input is a pipe or socket, until it
// closes. 0 when shown to the end, or waited out with nowhere to show it
// (as the original, which only slept); 1 when a dialog failed or the
// person closed it (a message is on call.err).
int show_busy(Call& call, std::string_view message, unsigned seconds);

// From now on every question, splash and loading message of this process
// goes to the client of `hvym serve` through fd, the connected socket serve
// gave this child (src/prompt/client.cpp, docs/protocol.md). The dispatcher
// calls it once, before the command runs.
void relay_questions(int fd);

// `hvym --ask-on-terminal DIR`: the hvym inside a terminal window that asks
// for a desktop with no dialog program (src/prompt/window_fallback.cpp).
int ask_on_terminal(const char* dir);

// The brand shown in titles and the splash.
inline constexpr std::string_view kBrand = "HEAVYMETA\xC2\xAE";

}  // namespace hvym
