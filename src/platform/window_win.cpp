// A desktop without a dialog program named in $HVYM_DIALOG, on Windows:
// hvym-dialog.exe (src/platform/dialog_program_win.cpp), a program of its
// own beside hvym.exe (or on PATH), which speaks the $HVYM_DIALOG protocol
// with Windows' own windows. The X11 fallbacks (xmessage, a terminal window
// over FIFOs) do not exist here.
#include "cli/command.h"
#include "store/paths.h"
#include "platform/process.h"
#include "prompt/impl.h"

namespace hvym::prompting {

bool window_fallback(Dialog& d) {
  std::string own = beside(self_program(), "hvym-dialog.exe");
  std::string path = can_execute(own) ? own : find_in_path("hvym-dialog.exe");
  if (path.empty()) return false;
  d = {Dialog::Custom, path};
  return true;
}

// Never reached: window_fallback gives a Custom program.
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
