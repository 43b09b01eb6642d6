// The terminal for hvym's own questions (term_posix.cpp, term_win.cpp):
// Ctrl-C caught while a question is open, echo turned off for a secret,
// standard input read a byte at a time with short waits.
#pragma once

namespace hvym::term {

// Catches Ctrl-C while it lives (POSIX: SIGINT; Windows: the console's
// control handler), so a read returns instead of hvym dying with echo off.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  alignas(16) unsigned char saved_[256];  // the previous handler
};
// Whether Ctrl-C came since the scope began.
bool interrupted();

// Turns echo off on the terminal at standard input while it lives.
class NoEcho {
 public:
  NoEcho();
  ~NoEcho();
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;

 private:
  alignas(16) unsigned char saved_[128];  // the terminal's settings
  bool on_ = false;
};

// One byte of standard input within ms: 1 (in c), 0 at the end, -1 on an
// error, -2 when nothing came in time.
int read_byte(char& c, int ms);
// Whether standard input is a pipe or socket (a busy message ends when it
// closes); then wait_input() waits up to ms for it: 1 data or end
// (drained, 0 when it closed), -2 nothing in time, -1 error.
bool input_is_pipe();
int drain_input(int ms);
// A pause of ms milliseconds.
void pause_ms(int ms);

}  // namespace hvym::term
