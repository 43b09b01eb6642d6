// A desktop without a dialog program (prompt_impl.h's window fallback) on
// Windows: the X11 fallbacks (xmessage, a terminal window over FIFOs) do not
// exist there; questions go to the console or $HVYM_DIALOG
// (docs/platforms.md).
#include "command.h"
#include "prompt_impl.h"

namespace hvym::prompting {

bool window_fallback(Dialog&) { return false; }

Answer ask_in_window(const Dialog&, const Question&) {
  Answer a;
  a.error = "no window fallback on Windows";
  return a;
}

bool show_in_window(const Dialog&, std::string_view, unsigned, std::string& error) {
  error = "no window fallback on Windows";
  return false;
}

int answer_on_terminal(const char*) { return kFailed; }

}  // namespace hvym::prompting
