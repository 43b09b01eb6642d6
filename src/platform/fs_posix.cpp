// The file system (fs.h) on Linux and macOS.
#include "platform/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __APPLE__
#include <climits>
#include <mach-o/dyld.h>
#endif

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace hvym::fs {

Kind kind_of(const std::string& path, bool follow) {
  struct stat st;
  if ((follow ? stat(path.c_str(), &st) : lstat(path.c_str(), &st)) != 0) return Kind::Missing;
  return S_ISREG(st.st_mode) ? Kind::File : S_ISDIR(st.st_mode) ? Kind::Dir : Kind::Other;
}

bool file_id(const std::string& path, FileId& id) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return false;
  id.dev = static_cast<uint64_t>(st.st_dev);
  id.ino = static_cast<uint64_t>(st.st_ino);
  id.size = static_cast<uint64_t>(st.st_size);
#ifdef __APPLE__
  id.mtime_ns = static_cast<int64_t>(st.st_mtimespec.tv_sec) * 1000000000 + st.st_mtimespec.tv_nsec;
#else
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
#endif
  return true;
}

int open_read(const std::string& path) { return open(path.c_str(), O_RDONLY | O_CLOEXEC); }

int open_read_nonblocking(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0) fcntl(fd, F_SETFL, 0);  // plain blocking reads from here
  return fd;
}

int open_write(const std::string& path, unsigned mode) {
  return open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
}

bool read_fd(int fd, std::string& out, size_t max) {
  char buf[65536];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (out.size() + static_cast<size_t>(n) > max) return errno = EFBIG, false;
    out.append(buf, static_cast<size_t>(n));
  }
}

long long read_some(int fd, void* buf, size_t n) { return read(fd, buf, n); }

long long read_at(int fd, void* buf, size_t n, uint64_t at) {
  return pread(fd, buf, n, static_cast<off_t>(at));
}

bool regular_fd(int fd, uint64_t& size) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  size = static_cast<uint64_t>(st.st_size);
  return true;
}

unsigned mode_of(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? static_cast<unsigned>(st.st_mode & 0777) : 0644;
}

bool make_dir(const std::string& path, unsigned mode) {
  return mkdir(path.c_str(), static_cast<mode_t>(mode)) == 0 || errno == EEXIST;
}

bool make_temp_dir(std::string& templ) { return mkdtemp(templ.data()) != nullptr; }

void remove_dir_files(const std::string& dir, std::initializer_list<const char*> names) {
  int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW;
#ifdef O_DIRECTORY
  flags |= O_DIRECTORY;
#endif
  int fd = open(dir.c_str(), flags);
  if (fd < 0) return;
  for (const char* name : names) unlinkat(fd, name, 0);
  close(fd);
  rmdir(dir.c_str());
}

bool list_dir(const std::string& dir, const std::function<void(std::string_view)>& fn) {
  DIR* d = opendir(dir.c_str());
  if (!d) return false;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") fn(name);
  }
  closedir(d);
  return true;
}

void remove_tree(const std::string& path) {
  if (kind_of(path, /*follow=*/false) == Kind::Dir) {
    list_dir(path, [&](std::string_view name) { remove_tree(path + "/" + std::string(name)); });
    rmdir(path.c_str());
  } else {
    unlink(path.c_str());
  }
}

Link program_link(const std::string& path, const std::string& self, std::string& target) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  if (n >= 0) {
    target.assign(buf, static_cast<size_t>(n));
    return target == self ? Link::Ours : Link::Other;
  }
  if (errno == EINVAL) return Link::NotLink;  // there, and not a link
  return errno == ENOENT ? Link::Missing : Link::Error;
}

bool link_program(const std::string& self, const std::string& path) {
  return symlink(self.c_str(), path.c_str()) == 0;
}

bool remove_file(const std::string& path) { return unlink(path.c_str()) == 0; }

bool replace_file(const std::string& from, const std::string& to) {
  return rename(from.c_str(), to.c_str()) == 0;
}

bool move_dir(const std::string& from, const std::string& to) {
  return rename(from.c_str(), to.c_str()) == 0;
}

bool make_executable(const std::string& path) { return chmod(path.c_str(), 0755) == 0; }

bool is_socket(const std::string& path) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

bool is_terminal(int fd) { return isatty(fd) == 1; }

std::string program_name(std::string_view name) { return std::string(name); }

std::string executable_at(const std::string& candidate) {
  return access(candidate.c_str(), X_OK) == 0 ? candidate : std::string();
}

std::string self_exe() {
#ifdef __APPLE__
  char buf[4096];
  uint32_t size = sizeof buf;
  if (_NSGetExecutablePath(buf, &size) != 0) return {};
  char real[PATH_MAX];
  return realpath(buf, real) ? real : buf;
#else
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<size_t>(n));
#endif
}

std::string home_dir() {
  const char* home = std::getenv("HOME");
  return home && *home ? home : "";
}

char path_list_separator() { return ':'; }

bool folder_is_ours(const std::string& dir, bool& missing, std::string& error) {
  struct stat st;
  missing = false;
  if (stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return missing = true, true;
    error = "cannot use " + dir + ": " + std::strerror(errno);
    return false;
  }
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

}  // namespace hvym::fs
