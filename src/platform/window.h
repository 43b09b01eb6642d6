// What asking in a terminal window needs from the system: a private folder
// with two FIFOs that carry the question to the hvym running in the window
// and its answer back (POSIX), and the dialog program hvym ships itself
// (Windows: hvym.exe's own dialog mode). The asking is
// src/prompt/window_fallback.cpp.
#pragma once
#include <cstring>
#include <string>

namespace hvym::window {

// A private folder (0700, in $XDG_RUNTIME_DIR or /tmp, named
// hvym-ask-PID-XXXXXX) holding the FIFOs "q" and "a"; removed with them when
// destroyed. make() first removes this user's folders whose hvym was killed
// (their PID no longer runs). Windows: make() fails.
class Fifos {
 public:
  Fifos() = default;
  Fifos(const Fifos&) = delete;
  Fifos& operator=(const Fifos&) = delete;
  ~Fifos();
  bool make(std::string& error);
  const std::string& dir() const { return dir_; }
  // Opens q for writing once the reader has opened it, polling: -1 with
  // gone when the process `pid` ended first, -1 when `give_up` (now_ms())
  // passed; the descriptor (blocking again) otherwise.
  int open_question(long pid, long long give_up, bool& gone) const;
  // Opens a for reading: waits for its writer, or, without wait, returns
  // at once (a descriptor held open while the window shows a text).
  int open_answer(bool wait = true) const;

 private:
  std::string dir_;
};

// Inside the window: the FIFOs of the folder `dir` (another hvym's Fifos).
int open_question_to_read(const std::string& dir);
int open_answer_to_write(const std::string& dir);
// Whether the reader of the FIFO `fd` (open for writing) has closed it.
bool reader_gone(int fd);

// The dialog program that ships with hvym, run with kDialogMode as its
// first argument (Windows: hvym.exe itself), or "" (POSIX: there is none).
std::string own_dialog_program();
inline constexpr const char* kDialogMode = "--dialog-window";

// hvym.exe's dialog mode (Windows: `hvym --dialog-window KIND ...`, the
// $HVYM_DIALOG protocol with Windows' own windows; dialog_window_win.cpp),
// asked by main() before anything else: its exit status when argv asks
// for it, else -1 (POSIX: always -1).
#ifdef _WIN32
int dialog_main();
inline int dialog_mode(int argc, char** argv) {
  return argc > 1 && std::strcmp(argv[1], kDialogMode) == 0 ? dialog_main() : -1;
}
#else
inline int dialog_mode(int, char**) { return -1; }
#endif

}  // namespace hvym::window
