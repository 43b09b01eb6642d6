#include "lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "paths.h"

namespace hvym {

ExclusiveLock::~ExclusiveLock() {
  if (fd_ >= 0) close(fd_);
}

bool ExclusiveLock::acquire(const std::string& data_dir, Sink& err, std::string& error) {
  if (!make_dirs(data_dir, 0700, error)) return false;
  std::string path = data_dir + "/hvym.lock";
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
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
    err.line("hvym: waiting for another hvym command (pid " + who + ") to finish...");
    err.flush();
    while (flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        error = "cannot lock " + path + ": " + std::strerror(errno);
        return false;
      }
    }
  }
  // Who holds it, for the next one's message.
  std::string me = std::to_string(getpid()) + "\n";
  if (ftruncate(fd_, 0) == 0 && pwrite(fd_, me.data(), me.size(), 0) < 0) {
  }
  return true;
}

}  // namespace hvym
