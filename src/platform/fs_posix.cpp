// The file system (fs.h) on Linux and macOS.
#include "platform/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#ifdef __APPLE__
#include <climits>
#include <mach-o/dyld.h>
#endif

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "platform/sys.h"

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

int open_append(const std::string& path) {
  return open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0600);  // a FIFO never blocks it
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

bool relink_program(const std::string& self, const std::string& path) {
  std::string fresh = path + ".hvym-new-" + std::to_string(getpid());
  unlink(fresh.c_str());
  if (symlink(self.c_str(), fresh.c_str()) != 0) return false;
  if (rename(fresh.c_str(), path.c_str()) == 0) return true;
  int e = errno;
  unlink(fresh.c_str());
  return errno = e, false;
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

// --- a folder opened once --------------------------------------------------

namespace {

constexpr int kDirFlags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_DIRECTORY;

void fill(const struct stat& st, Entry& e) {
  e.kind = S_ISREG(st.st_mode) ? Kind::File : S_ISDIR(st.st_mode) ? Kind::Dir : Kind::Other;
  e.id.dev = static_cast<uint64_t>(st.st_dev);
  e.id.ino = static_cast<uint64_t>(st.st_ino);
  e.id.size = static_cast<uint64_t>(st.st_size);
#ifdef __APPLE__
  e.id.mtime_ns = static_cast<int64_t>(st.st_mtimespec.tv_sec) * 1000000000 + st.st_mtimespec.tv_nsec;
#else
  e.id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
#endif
  e.owner = static_cast<unsigned>(st.st_uid);
  e.mode = static_cast<unsigned>(st.st_mode & 07777);
  e.ours = st.st_uid == geteuid() || st.st_uid == 0;
}

// A name inside a folder: one component, never "." or "..".
bool plain_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos;
}

bool almost_no_space(const struct statvfs& v) {
  // root may use the blocks kept back for it; anyone else may not.
  uint64_t blocks = geteuid() == 0 ? static_cast<uint64_t>(v.f_bfree) : static_cast<uint64_t>(v.f_bavail);
  return blocks * static_cast<uint64_t>(v.f_frsize ? v.f_frsize : v.f_bsize) < (uint64_t{1} << 20);
}

}  // namespace

Dir& Dir::operator=(Dir&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

bool Dir::open(const std::string& path) {
  close();
  int fd = ::open(path.c_str(), kDirFlags);
  if (fd < 0) {
    // A link refused by O_NOFOLLOW is ENOTDIR on some systems: say ELOOP.
    struct stat st;
    if ((errno == ENOTDIR || errno == ELOOP) && lstat(path.c_str(), &st) == 0)
      errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
    return false;
  }
  fd_ = fd;
  path_ = path;
  return true;
}

bool Dir::open_in(const Dir& parent, std::string_view name) {
  close();
  char n[256];  // NUL-terminated copy of a name (NAME_MAX is 255)
  if (!parent.is_open() || !plain_name(name) || name.size() >= sizeof n) return errno = EINVAL, false;
  std::memcpy(n, name.data(), name.size());
  n[name.size()] = '\0';
  int fd = openat(parent.fd_, n, kDirFlags);
  if (fd < 0) {
    struct stat st;
    if ((errno == ENOTDIR || errno == ELOOP) && fstatat(parent.fd_, n, &st, AT_SYMLINK_NOFOLLOW) == 0)
      errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
    return false;
  }
  fd_ = fd;
  path_.reserve(parent.path_.size() + 1 + name.size());
  path_.assign(parent.path_).append(1, '/').append(name);
  return true;
}

void Dir::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool entry_at(const Dir& dir, std::string_view name, Entry& e) {
  struct stat st;
  char n[256];
  if (!plain_name(name) || name.size() >= sizeof n) return errno = EINVAL, false;
  std::memcpy(n, name.data(), name.size());
  n[name.size()] = '\0';
  if (fstatat(dir.fd(), n, &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  fill(st, e);
  return true;
}

bool entry_of_fd(int fd, Entry& e) {
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  fill(st, e);
  return true;
}

bool entry_of(const Dir& dir, Entry& e) { return entry_of_fd(dir.fd(), e); }
bool entry_of_handle(int fd, Entry& e) { return entry_of_fd(fd, e); }
bool entry_of_handle(void*, Entry&) { return errno = EBADF, false; }

bool dir_is_ours(const Dir& dir, std::string& error) {
  Entry e;
  if (!entry_of(dir, e)) {
    error = "cannot use " + dir.path() + ": " + std::strerror(errno);
    return false;
  }
  if (!e.ours) {  // root may provide a read-only one
    error = dir.path() + " belongs to another user (uid " + std::to_string(e.owner) + "); hvym will not use it";
    return false;
  }
  if (e.mode & (S_IWGRP | S_IWOTH)) {
    error = dir.path() + " may be written by other users (mode " + std::to_string((e.mode >> 6) & 7) +
            std::to_string((e.mode >> 3) & 7) + std::to_string(e.mode & 7) +
            "); hvym will not use it until it is not (chmod go-w " + dir.path() + ")";
    return false;
  }
  return true;
}

int open_read_at(const Dir& dir, std::string_view name) {
  if (!plain_name(name)) return errno = EINVAL, -1;
  int fd = openat(dir.fd(), std::string(name).c_str(),
                  O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) fcntl(fd, F_SETFL, 0);  // plain blocking reads from here
  return fd;
}

bool lock_exclusive(int fd) {
  int rc;
  while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
  }
  return rc == 0;
}

bool make_temp_dir_at(const Dir& dir, std::string& name) {
  size_t x = name.rfind("XXXXXX");
  if (x == std::string::npos || x + 6 != name.size()) return errno = EINVAL, false;
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (int attempt = 0; attempt < 100; ++attempt) {
    unsigned char r[6];
    if (!sys::random_bytes(r, sizeof r)) return errno = EIO, false;
    for (int i = 0; i < 6; ++i) name[x + i] = kChars[r[i] % 62];
    if (mkdirat(dir.fd(), name.c_str(), 0700) == 0) return true;  // never an existing path
    if (errno != EEXIST) return false;
  }
  return errno = EEXIST, false;
}

bool move_dir_at(const Dir& dir, std::string_view from, std::string_view to) {
  if (!plain_name(from) || !plain_name(to)) return errno = EINVAL, false;
  return renameat(dir.fd(), std::string(from).c_str(), dir.fd(), std::string(to).c_str()) == 0;
}

void remove_dir_files_at(const Dir& dir, std::string_view name, std::initializer_list<const char*> names) {
  Dir sub;
  if (!sub.open_in(dir, name)) return;  // never through a link
  for (const char* n : names) unlinkat(sub.fd(), n, 0);
  sub.close();
  unlinkat(dir.fd(), std::string(name).c_str(), AT_REMOVEDIR);
}

bool list_dir_at(const Dir& dir, const std::function<void(std::string_view)>& fn) {
  // A descriptor of its own: readdir's position is not shared with dir's.
  int fd = openat(dir.fd(), ".", O_RDONLY | O_CLOEXEC | O_DIRECTORY);
  if (fd < 0) return false;
  DIR* d = fdopendir(fd);
  if (!d) {
    ::close(fd);
    return false;
  }
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") fn(name);
  }
  closedir(d);
  return true;
}

std::string fixed_path(const Dir& dir, bool& check) {
#ifdef __linux__
  // The kernel resolves /proc/self/fd/N to the open folder itself, whatever
  // is renamed meanwhile. Without /proc (a chroot), the caller checks.
  char p[32] = "/proc/self/fd/";
  size_t n = 14;
  char digits[12];
  size_t k = 0;
  for (unsigned v = static_cast<unsigned>(dir.fd()); k == 0 || v > 0; v /= 10) digits[k++] = static_cast<char>('0' + v % 10);
  while (k > 0) p[n++] = digits[--k];
  p[n] = '\0';
  if (dir.fd() >= 0 && access(p, F_OK) == 0) {
    check = false;
    return std::string(p, n);
  }
#endif
  check = true;
  return dir.path();
}

bool nearly_full(const Dir& dir) { return nearly_full_handle(dir.fd()); }

bool nearly_full_handle(int fd) {
  struct statvfs v;
  return fstatvfs(fd, &v) == 0 && almost_no_space(v);
}

bool nearly_full_handle(void*) { return false; }

}  // namespace hvym::fs
