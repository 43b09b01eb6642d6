#include "platform/waiter.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>

#ifdef __linux__
#include <sys/inotify.h>
#include <sys/syscall.h>
#endif

#include "platform/process.h"

namespace hvym {

struct Waiter::State {
  int wake[2] = {-1, -1};
  std::atomic<bool> poked{false};
  int inotify = -1;
  int pidfd = -1;
};

Waiter::Waiter() : s_(std::make_unique<State>()) {
  if (pipe(s_->wake) == 0)
    for (int fd : s_->wake) fcntl(fd, F_SETFL, O_NONBLOCK), fcntl(fd, F_SETFD, FD_CLOEXEC);
}

Waiter::~Waiter() {
  for (int fd : {s_->wake[0], s_->wake[1], s_->inotify, s_->pidfd})
    if (fd >= 0) close(fd);
}

bool Waiter::watch_folder(const std::string& dir) {
#ifdef __linux__
  if (s_->inotify < 0) s_->inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (s_->inotify < 0) return false;
  return inotify_add_watch(s_->inotify, dir.c_str(),
                           IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |
                               IN_MOVE_SELF | IN_ONLYDIR) >= 0;
#else
  (void)dir;
  return false;
#endif
}

void Waiter::forget_folders() {
  if (s_->inotify >= 0) close(s_->inotify), s_->inotify = -1;
}

bool Waiter::watch_process(long pid) {
  forget_process();
#if defined(__linux__) && defined(SYS_pidfd_open)
  if (pid <= 0 || pid > INT_MAX) return false;
  s_->pidfd = static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
  if (s_->pidfd >= 0) fcntl(s_->pidfd, F_SETFD, FD_CLOEXEC);
  return s_->pidfd >= 0;
#else
  (void)pid;
  return false;
#endif
}

void Waiter::forget_process() {
  if (s_->pidfd >= 0) close(s_->pidfd), s_->pidfd = -1;
}

void Waiter::wake() {
  if (s_->poked.exchange(true)) return;  // one byte is enough until the waiter has seen it
  char b = 1;
  while (write(s_->wake[1], &b, 1) < 0 && errno == EINTR) {
  }
}

unsigned Waiter::wait(long long deadline_ms) {
  unsigned got = 0;
  while (true) {
    pollfd p[3];
    int n = 0;
    p[n++] = {s_->wake[0], POLLIN, 0};
    int ino = -1, pid = -1;
    if (s_->inotify >= 0) ino = n, p[n++] = {s_->inotify, POLLIN, 0};
    if (s_->pidfd >= 0) pid = n, p[n++] = {s_->pidfd, POLLIN, 0};
    int timeout = -1;
    if (deadline_ms >= 0) {
      long long left = deadline_ms - now_ms();
      timeout = left <= 0 ? 0 : static_cast<int>(left > INT_MAX ? INT_MAX : left);
    }
    int r = poll(p, static_cast<nfds_t>(n), got ? 0 : timeout);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return got ? got : kTimeout;
    char buf[4096];
    if (p[0].revents) {
      while (read(s_->wake[0], buf, sizeof buf) > 0) {
      }
      // After draining: a wake() from now on writes a byte again. One that
      // came between found `poked` set and wrote none; what it announced was
      // done before it, so the caller sees it once this returns.
      s_->poked = false;
      got |= kWoken;
    }
    if (ino >= 0 && p[ino].revents) {
      while (read(s_->inotify, buf, sizeof buf) > 0) {  // every event at once: one check for a burst
      }
      got |= kFolder;
    }
    if (pid >= 0 && p[pid].revents) {
      forget_process();
      got |= kProcessEnded;
    }
    return got;
  }
}

}  // namespace hvym
