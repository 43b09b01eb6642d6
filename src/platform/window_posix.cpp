// POSIX side of asking in a terminal window: the FIFO pair (platform/window.h).
#include "platform/window.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "platform/process.h"

namespace hvym::window {

Fifos::~Fifos() {
  if (dir_.empty()) return;
  unlink((dir_ + "/q").c_str());
  unlink((dir_ + "/a").c_str());
  rmdir(dir_.c_str());
}

namespace {

// Folders of questions whose hvym was killed (SIGKILL: no destructor ran):
// "hvym-ask-PID-XXXXXX" of this user whose PID no longer runs, with their
// two FIFOs. Only this user's, only through descriptors (no name followed
// through a link); a PID reused since leaves its folder for later.
void sweep_stale(const std::string& base) {
  int at = open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (at < 0) return;
  DIR* d = fdopendir(dup(at));
  if (!d) return void(close(at));
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (!name.starts_with("hvym-ask-")) continue;
    std::string_view rest = name.substr(9);
    size_t dash = rest.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash > 10) continue;
    long pid = 0;
    for (char c : rest.substr(0, dash)) {
      if (c < '0' || c > '9') pid = -1;
      if (pid >= 0) pid = pid * 10 + (c - '0');
    }
    if (pid <= 0 || kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    std::string entry(name);
    int fd = openat(at, entry.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_uid == getuid()) {
      unlinkat(fd, "q", 0);
      unlinkat(fd, "a", 0);
      unlinkat(at, entry.c_str(), AT_REMOVEDIR);  // fails, harmlessly, when anything else is in it
    }
    close(fd);
  }
  closedir(d);
  close(at);
}

}  // namespace

bool Fifos::make(std::string& error) {
  const char* run = std::getenv("XDG_RUNTIME_DIR");
  std::string base = run && *run ? run : "/tmp";
  sweep_stale(base);
  // The pid in the name: a folder left by a killed hvym is found by the next.
  std::string t = base + "/hvym-ask-" + std::to_string(getpid()) + "-XXXXXX";
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

int Fifos::open_answer(bool wait) const {
  int fd = open((dir_ + "/a").c_str(), O_RDONLY | O_CLOEXEC | (wait ? 0 : O_NONBLOCK));
  if (fd >= 0 && !wait) fcntl(fd, F_SETFL, 0);
  return fd;
}

int open_question_to_read(const std::string& dir) { return open((dir + "/q").c_str(), O_RDONLY | O_CLOEXEC); }
int open_answer_to_write(const std::string& dir) { return open((dir + "/a").c_str(), O_WRONLY | O_CLOEXEC); }

bool reader_gone(int fd) {
  pollfd p{fd, 0, 0};  // a FIFO whose reader left reports POLLERR
  return poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP));
}

std::string own_dialog_program() { return {}; }

}  // namespace hvym::window
