// The prompt layer's ways of asking; only src/prompt/ includes this.
#pragma once
#include <string>
#include <vector>

#include "platform/process.h"
#include "prompt/prompt.h"

namespace hvym::prompting {

// A dialog program and how to talk to it.
struct Dialog {
  // Window: no dialog program; xmessage (path, when there is one) for what
  // it can show, else a terminal window running hvym's terminal prompts.
  enum Program : uint8_t { Custom, Zenity, Kdialog, Osascript, Window } program;
  std::string path;
  std::string lead;  // its first argument, when not empty (Windows: hvym.exe's --dialog-window)
  std::vector<std::string> start() const;  // path, then lead
  std::string name() const;  // for messages: "zenity", "$HVYM_DIALOG (/path)"
};

// On the terminal: prompts on standard error, answers from standard input.
Answer ask_terminal(Sink& err, const Question& q);
void show_terminal(Sink& err, std::string_view text);
// 0 when the time ran out, 1 when interrupted (Ctrl-C).
int busy_terminal(Sink& err, std::string_view message, unsigned seconds);

// Through a dialog program (a separate process).
Answer ask_dialog(const Dialog& d, const Question& q);
// Shows text for `seconds` and returns when the dialog is gone.
bool show_dialog(const Dialog& d, std::string_view text, unsigned seconds, std::string& error);
int busy_dialog(const Dialog& d, std::string_view message, unsigned seconds, Sink& err);

// Through the client of `hvym serve` (src/prompt/client.cpp), once
// relay_questions() named the socket: whether it did.
bool relaying();
// The answer as the client gave it (settled, not yet checked), or Refused
// with the whole message ("cannot ask for the Pintheon port: ...").
Answer ask_relay(const Question& q);
// Tells the client to show `text` ("splash" or "busy" in `kind`) for
// `seconds`; it answers at once. False with the reason in `error`.
bool show_relay(std::string_view kind, std::string_view text, unsigned seconds, std::string& error);

// The name of a question's kind in the $HVYM_DIALOG and serve protocols:
// "message", "yesno", "choice", "line", "text", "secret", "file", "copy".
const char* kind_word(Ask k);

// A desktop without a dialog program: the one hvym ships (Windows),
// xmessage or a terminal window (src/prompt/window_fallback.cpp). False when none
// is there.
bool window_fallback(Dialog& d);
Answer ask_in_window(const Dialog& d, const Question& q);
bool show_in_window(const Dialog& d, std::string_view text, unsigned seconds, std::string& error);
int busy_in_window(const Dialog& d, std::string_view message, unsigned seconds, Sink& err);
// `hvym --ask-on-terminal DIR`, inside the terminal window: reads the
// question from DIR/q, asks, writes the answer to DIR/a.
int answer_on_terminal(const char* dir);

// What a program or client answered, made the answer a dialog's is: one
// line end taken off the end; "yes" for a yes/no; nothing for a message;
// the current choice for an empty one; a one-line copy cut at its first
// line end.
void settle_answer(const Question& q, std::string& text);

// Whether an answer fits the question (a custom program may answer
// anything): "" or why not.
std::string check_answer(const Question& q, const std::string& text);

// Until `seconds` pass (0: no limit) or, when standard input is a pipe or
// socket, it reaches its end; also returns when `still` says to stop.
void wait_busy(unsigned seconds, bool (*still)(void*), void* ctx);

// A program hvym shows something with, followed while it waits: ended()
// reaps it once it has ended; running() is wait_busy's `still`.
struct Shown {
  long pid;
  int status = 0;
  bool gone = false;
  bool ended() { return gone || (gone = process_ended(pid, status)); }
  static bool running(void* self) { return !static_cast<Shown*>(self)->ended(); }
};

}  // namespace hvym::prompting
