#include "store/paths.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "io/sink.h"
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

bool lock_data_dir(ExclusiveLock& lock, const std::string& dir, Sink& err, std::string& error, const char* name) {
  fs::Dir folder;
  if (!make_data_dir(dir, folder, error)) return false;
  auto waiting = [](void* ctx, const std::string& who) {
    Sink& to = *static_cast<Sink*>(ctx);
    to.line("hvym: waiting for another hvym command (pid " + who + ") to finish...");
    to.flush();
  };
  return lock.acquire(folder, dir, name, waiting, &err, error);
}

}  // namespace hvym
