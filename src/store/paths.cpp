#include "store/paths.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "platform/fs.h"
#include "platform/sys.h"
#include "platform/process.h"

namespace hvym {

std::string data_dir() {
  if (const char* h = std::getenv("HVYM_HOME"); h && *h) return h;
  std::string share = sys::local_share_dir();
  if (share.empty()) return {};
  return share + (sys::system_name()[0] == 'w' ? "\\heavymeta-cli" : "/heavymeta-cli");
}

namespace {

// Where the older releases kept their files (paths.h), or "".
std::string former_data_dir() {
  if (const char* h = std::getenv("HVYM_HOME"); h && *h) return {};
  std::string share = sys::local_share_dir();
  if (share.empty()) return {};
  switch (sys::system_name()[0]) {
    case 'w': return share + "\\HeavyMeta\\heavymeta-cli";
    case 'd': return fs::home_dir() + "/Library/Application Support/heavymeta-cli";
  }
  // platformdirs takes XDG_DATA_HOME unless it is empty or blank.
  const char* x = std::getenv("XDG_DATA_HOME");
  if (!x || std::strspn(x, " \t\n\r\f\v") == std::strlen(x)) return {};
  return std::string(x) + "/heavymeta-cli";
}

std::string file_in(const std::string& dir, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (std::string p = dir + name; fs::kind_of(p) == fs::Kind::File) return p;
  return {};
}

}  // namespace

std::string find_data_file(const std::string& data_dir, std::initializer_list<const char*> names) {
  if (std::string p = file_in(data_dir, names); !p.empty()) return p;
  std::string former = former_data_dir(), ignored;
  if (former.empty() || former == data_dir) return {};
  std::string p = file_in(former, names);
  return p.empty() || !data_dir_trusted(former, ignored) ? std::string() : p;
}

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

bool data_dir_trusted(const std::string& dir, std::string& error) {
  bool missing;
  return fs::folder_is_ours(dir, missing, error);
}

std::string self_exe() { return fs::self_exe(); }

std::string beside(std::string_view program, std::string_view name) {
  size_t slash = program.find_last_of("/\\");
  if (slash == std::string_view::npos) return std::string(name);
  return std::string(program.substr(0, slash + 1)) + std::string(name);  // its own separator kept
}

}  // namespace hvym
