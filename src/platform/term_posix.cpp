// The terminal (term.h) on Linux and macOS: SIGINT, termios, poll().
#include "platform/term.h"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hvym::term {
namespace {

volatile sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

static_assert(sizeof(struct sigaction) <= 256, "InterruptScope::saved_ too small");
static_assert(sizeof(termios) <= 128, "NoEcho::saved_ too small");

}  // namespace

InterruptScope::InterruptScope() {
  g_interrupted = 0;
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;  // no SA_RESTART: read() returns EINTR
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, reinterpret_cast<struct sigaction*>(saved_));
}

InterruptScope::~InterruptScope() { sigaction(SIGINT, reinterpret_cast<struct sigaction*>(saved_), nullptr); }

bool interrupted() { return g_interrupted != 0; }

NoEcho::NoEcho() {
  termios& saved = *reinterpret_cast<termios*>(saved_);
  if (tcgetattr(0, &saved) != 0) return;
  termios t = saved;
  t.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHOE | ECHOK | ECHONL);
  on_ = tcsetattr(0, TCSANOW, &t) == 0;
}

NoEcho::~NoEcho() {
  if (on_) tcsetattr(0, TCSANOW, reinterpret_cast<termios*>(saved_));
}

int read_byte(char& c, int ms) {
  pollfd pfd{0, POLLIN, 0};
  int ready = poll(&pfd, 1, ms);
  if (ready < 0) return errno == EINTR ? -2 : -1;
  if (ready == 0) return -2;
  ssize_t n = read(0, &c, 1);
  if (n < 0) return errno == EINTR ? -2 : -1;
  return n == 0 ? 0 : 1;
}

bool input_is_pipe() {
  struct stat st;
  return fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

int drain_input(int ms) {
  pollfd pfd{0, POLLIN, 0};
  int n = poll(&pfd, 1, ms);
  if (n < 0) return errno == EINTR ? -2 : -1;
  if (n == 0) return -2;
  char buf[4096];
  ssize_t got = read(0, buf, sizeof buf);  // what the caller sends is not used
  if (got == 0) return 0;
  if (got < 0) return errno == EINTR || errno == EAGAIN ? -2 : -1;
  return 1;
}

void pause_ms(int ms) { poll(nullptr, 0, ms); }

}  // namespace hvym::term
