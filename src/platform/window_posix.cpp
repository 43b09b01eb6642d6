// POSIX side of asking in a terminal window: the FIFO pair (platform/window.h).
#include "platform/window.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "platform/process.h"

namespace hvym::window {

Fifos::~Fifos() {
  if (dir_.empty()) return;
  unlink((dir_ + "/q").c_str());
  unlink((dir_ + "/a").c_str());
  rmdir(dir_.c_str());
}

bool Fifos::make(std::string& error) {
  const char* run = std::getenv("XDG_RUNTIME_DIR");
  std::string base = run && *run ? run : "/tmp";
  std::string t = base + "/hvym-ask-XXXXXX";
  if (!mkdtemp(t.data())) return error = "cannot make a folder in " + base + ": " + std::strerror(errno), false;
  dir_ = t;
  if (mkfifo((dir_ + "/q").c_str(), 0600) != 0 || mkfifo((dir_ + "/a").c_str(), 0600) != 0)
    return error = "cannot make a FIFO in " + dir_ + ": " + std::strerror(errno), false;
  return true;
}

int Fifos::open_question(long pid, long long give_up, bool& gone) const {
  gone = false;
  int fd;
  // The reader (hvym in the window) opens it once it runs; until then a
  // non-blocking open for writing fails with ENXIO.
  while ((fd = open((dir_ + "/q").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
    int status;
    if (process_ended(pid, status)) return gone = true, -1;
    if (errno != ENXIO || now_ms() > give_up) return -1;
    poll(nullptr, 0, 50);
  }
  fcntl(fd, F_SETFL, 0);
  return fd;
}

int Fifos::open_answer() const { return open((dir_ + "/a").c_str(), O_RDONLY | O_CLOEXEC); }

int open_question_to_read(const std::string& dir) { return open((dir + "/q").c_str(), O_RDONLY | O_CLOEXEC); }
int open_answer_to_write(const std::string& dir) { return open((dir + "/a").c_str(), O_WRONLY | O_CLOEXEC); }

std::string own_dialog_program() { return {}; }

}  // namespace hvym::window
