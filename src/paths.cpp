#include "paths.h"

#include <climits>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace hvym {

std::string data_dir() {
  if (const char* h = std::getenv("HVYM_HOME"); h && *h) return h;
  const char* home = std::getenv("HOME");
  if (!home || !*home) return {};
  return std::string(home) + "/.local/share/heavymeta-cli";
}

std::string find_in_path(std::string_view name) {
  const char* path = std::getenv("PATH");
  if (!path) return {};
  std::string_view rest(path);
  while (true) {
    size_t colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    std::string candidate(dir.empty() ? "." : dir);
    candidate += '/';
    candidate += name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) return {};
    rest.remove_prefix(colon + 1);
  }
}

bool make_dirs(const std::string& dir, unsigned mode, std::string& error) {
  if (mkdir(dir.c_str(), mode) == 0 || errno == EEXIST) return true;
  size_t slash = dir.find_last_of('/');
  if (errno == ENOENT && slash != std::string::npos && slash > 0 &&
      make_dirs(dir.substr(0, slash), mode, error) && (mkdir(dir.c_str(), mode) == 0 || errno == EEXIST))
    return true;
  if (error.empty()) error = "cannot create " + dir + ": " + std::strerror(errno);
  return false;
}

std::string self_exe() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}

int open_regular_file(const std::string& path, std::string& error) {
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    error = path + " is not a regular file";
    return -1;
  }
  fcntl(fd, F_SETFL, 0);  // plain blocking reads from here
  return fd;
}

bool data_dir_trusted(const std::string& dir, std::string& error) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return errno == ENOENT || (error = "cannot use " + dir + ": " + std::strerror(errno), false);
  if (st.st_uid != geteuid() && st.st_uid != 0) {  // root may provide a read-only one
    error = dir + " belongs to another user (uid " + std::to_string(st.st_uid) + "); hvym will not use it";
    return false;
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    error = dir + " may be written by other users (mode " + std::to_string((st.st_mode >> 6) & 7) +
            std::to_string((st.st_mode >> 3) & 7) + std::to_string(st.st_mode & 7) +
            "); hvym will not use it until it is not (chmod go-w " + dir + ")";
    return false;
  }
  return true;
}

}  // namespace hvym
