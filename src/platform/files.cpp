#include "platform/files.h"

#include <cerrno>
#include <cstring>

#include "platform/fs.h"
#include "platform/process.h"

namespace hvym {

std::string find_in_path(std::string_view name) {
  const char* path = env_get("PATH");  // a serve request's own, else ours
  if (!path) return {};
  const char sep = fs::path_list_separator();
  std::string_view rest(path);
  while (true) {
    size_t end = rest.find(sep);
    std::string_view dir = rest.substr(0, end);
    std::string candidate(dir.empty() ? "." : dir);
    candidate += '/';
    candidate += name;
    std::string found = fs::executable_at(candidate);
    if (!found.empty()) return found;
    if (end == std::string_view::npos) return {};
    rest.remove_prefix(end + 1);
  }
}

bool make_dirs(const std::string& dir, unsigned mode, std::string& error) {
  if (fs::make_dir(dir, mode)) return true;
  size_t slash = dir.find_last_of("/\\");
  if (errno == ENOENT && slash != std::string::npos && slash > 0 &&
      make_dirs(dir.substr(0, slash), mode, error) && fs::make_dir(dir, mode))
    return true;
  if (error.empty()) error = "cannot create " + dir + ": " + std::strerror(errno);
  return false;
}

int open_regular_file(const std::string& path, std::string& error) {
  // A FIFO or device is refused before it is opened: opening one can block.
  if (fs::Kind k = fs::kind_of(path); k != fs::Kind::File) {
    error = k == fs::Kind::Missing ? "cannot open " + path + ": " + std::strerror(errno)
                                   : path + " is not a regular file";
    return -1;
  }
  int fd = fs::open_read_nonblocking(path);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return -1;
  }
  uint64_t size;
  if (!fs::regular_fd(fd, size)) {  // replaced between the look and the open
    close_fd(fd);
    error = path + " is not a regular file";
    return -1;
  }
  return fd;
}

int open_regular_at(const fs::Dir& dir, const char* name, const std::string& shown, std::string& error) {
  int fd = fs::open_read_at(dir, name);  // never through a link, never blocking (a FIFO)
  if (fd < 0) {
    int e = errno;
    error = e == ELOOP ? shown + " is not a regular file" : "cannot open " + shown + ": " + std::strerror(e);
    return -1;
  }
  fs::Entry e;
  if (!fs::entry_of_fd(fd, e) || e.kind != fs::Kind::File) {
    close_fd(fd);
    error = shown + " is not a regular file";
    return -1;
  }
  if (!e.ours) {  // planted by another user
    close_fd(fd);
    error = shown + " belongs to another user (uid " + std::to_string(e.owner) + "); hvym will not read it";
    return -1;
  }
  return fd;
}

std::string beside(std::string_view program, std::string_view name) {
  size_t slash = program.find_last_of("/\\");
  if (slash == std::string_view::npos) return std::string(name);
  return std::string(program.substr(0, slash + 1)) + std::string(name);  // its own separator kept
}

}  // namespace hvym
