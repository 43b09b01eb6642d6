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

// The first of `names` that is a regular file in dir (a link is not one).
DataFile file_in(const fs::Dir& dir, std::initializer_list<const char*> names) {
  DataFile f;
  for (const char* name : names) {
    fs::Entry e;
    if (!fs::entry_at(dir, name, e) || e.kind != fs::Kind::File) continue;
    f.path = dir.path() + "/" + name;
    f.fd = open_regular_at(dir, name, f.path, f.error);
    break;
  }
  return f;
}

}  // namespace

DataFile& DataFile::operator=(DataFile&& o) noexcept {
  if (this != &o) {
    if (fd >= 0) close_fd(fd);
    path = std::move(o.path);
    fd = o.fd;
    error = std::move(o.error);
    o.fd = -1;
  }
  return *this;
}

DataFile::~DataFile() {
  if (fd >= 0) close_fd(fd);
}

DataFile find_data_file(const std::string& data_dir, const fs::Dir& data,
                        std::initializer_list<const char*> names) {
  if (data.is_open())
    if (DataFile f = file_in(data, names); f.found()) return f;
  std::string former = former_data_dir(), ignored;
  if (former.empty() || former == data_dir) return {};
  fs::Dir older;  // checked on the descriptor the file is then opened through
  if (!open_data_dir(former, older, ignored) || !older.is_open()) return {};
  return file_in(older, names);
}

DataFile find_data_file(const std::string& data_dir, std::initializer_list<const char*> names) {
  fs::Dir data;
  std::string ignored;
  if (!open_data_dir(data_dir, data, ignored)) data.close();
  return find_data_file(data_dir, data, names);
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

bool open_data_dir(const std::string& dir, fs::Dir& out, std::string& error) {
  if (!out.open(dir)) {
    int e = errno;
    if (e == ENOENT) return true;  // not there yet
    error = "cannot use " + dir + ": " +
            (e == ELOOP ? std::string("it is a symbolic link (hvym uses the folder itself)")
                        : std::string(std::strerror(e)));
    return false;
  }
  if (!fs::dir_is_ours(out, error)) {
    out.close();
    return false;
  }
  return true;
}

bool make_data_dir(const std::string& dir, fs::Dir& out, std::string& error) {
  if (!open_data_dir(dir, out, error)) return false;
  if (out.is_open()) return true;
  if (!make_dirs(dir, 0700, error) || !open_data_dir(dir, out, error)) return false;
  if (!out.is_open()) error = "cannot create " + dir + ": " + std::strerror(ENOENT);  // gone again
  return out.is_open();
}

bool data_dir_trusted(const std::string& dir, std::string& error) {
  fs::Dir d;
  return open_data_dir(dir, d, error);
}

std::string self_exe() { return fs::self_exe(); }

std::string beside(std::string_view program, std::string_view name) {
  size_t slash = program.find_last_of("/\\");
  if (slash == std::string_view::npos) return std::string(name);
  return std::string(program.substr(0, slash + 1)) + std::string(name);  // its own separator kept
}

}  // namespace hvym
