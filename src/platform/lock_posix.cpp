// The data folder lock (lock.h) on Linux and macOS: flock.
#include "platform/lock.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/files.h"
#include "platform/fs.h"
#include "platform/process.h"

namespace hvym {
namespace {
constexpr long long kMaxWaitMs = 35 * 60 * 1000;
}  // namespace

ExclusiveLock::~ExclusiveLock() {
  if (fd_ >= 0) close(fd_);
}

bool ExclusiveLock::acquire(const fs::Dir& folder, const std::string& data_dir, const char* name, WaitingFn waiting,
                            void* ctx, std::string& error) {
  // The folder was opened once and checked on that descriptor, and the lock
  // is opened relative to it: no folder swapped in under the same path.
  std::string path = data_dir + "/" + name;
  // Never through a symlink, never a FIFO or device (its open could block).
  fd_ = openat(folder.fd(), name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  struct stat st;
  if (fd_ >= 0 && (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode))) {
    close(fd_);
    fd_ = -1;
    errno = EINVAL;
  }
  if (fd_ < 0) {
    error = "cannot open " + path + ": " + (errno == ELOOP || errno == EINVAL ? "not a regular file" : std::strerror(errno));
    return false;
  }
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      error = "cannot lock " + path + ": " + std::strerror(errno);
      return false;
    }
    char holder[32] = {};
    ssize_t n = pread(fd_, holder, sizeof holder - 1, 0);
    std::string who = n > 0 ? std::string(holder, static_cast<size_t>(n)) : "?";
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    waiting(ctx, who);
    // Waiting is bounded: the longest holder (a pull) ends within 30
    // minutes itself (the pull's own bound).
    long long give_up = now_ms() + kMaxWaitMs;
    while (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        error = "cannot lock " + path + ": " + std::strerror(errno);
        return false;
      }
      if (now_ms() >= give_up) {
        error = "another hvym command (pid " + who + ") has held " + path + " for " +
                std::to_string(kMaxWaitMs / 60000) + " minutes; giving up";
        return false;
      }
      poll(nullptr, 0, 50);
    }
  }
  // Who holds it, for the next one's message.
  std::string me = std::to_string(getpid()) + "\n";
  if (ftruncate(fd_, 0) == 0 && pwrite(fd_, me.data(), me.size(), 0) < 0) {
  }
  return true;
}

}  // namespace hvym
