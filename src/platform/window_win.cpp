// Windows side of platform/window.h: no FIFOs and no terminal emulator to
// run hvym in; the desktop's questions go to hvym.exe itself, started in its
// dialog mode (src/platform/dialog_window_win.cpp), which speaks the
// $HVYM_DIALOG protocol with Windows' own windows.
#include "platform/window.h"

#include "platform/process.h"

namespace hvym::window {

Fifos::~Fifos() = default;

bool Fifos::make(std::string& error) {
  error = "no window fallback on Windows";
  return false;
}

int Fifos::open_question(long, long long, bool& gone) const { return gone = false, -1; }
int Fifos::open_answer(bool) const { return -1; }
int open_question_to_read(const std::string&) { return -1; }
int open_answer_to_write(const std::string&) { return -1; }
bool reader_gone(int) { return true; }

std::string own_dialog_program() { return self_program(); }

}  // namespace hvym::window
