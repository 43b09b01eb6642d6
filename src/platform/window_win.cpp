// Windows side of platform/window.h: no FIFOs and no terminal emulator to
// run hvym in; the desktop's questions go to hvym-dialog.exe
// (src/platform/dialog_program_win.cpp), a program of its own beside
// hvym.exe (or on PATH) that speaks the $HVYM_DIALOG protocol with Windows'
// own windows.
#include "platform/window.h"

#include "platform/files.h"
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

std::string own_dialog_program() {
  std::string own = beside(self_program(), "hvym-dialog.exe");
  return can_execute(own) ? own : find_in_path("hvym-dialog.exe");
}

}  // namespace hvym::window
