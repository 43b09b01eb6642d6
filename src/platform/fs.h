// The file system as the rest of hvym needs it, on every platform
// (fs_posix.cpp: Linux and macOS; fs_win.cpp: Windows). Descriptors are
// ints (the C runtime's on Windows); files open in binary mode, not
// inherited by programs hvym starts.
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace hvym::fs {

// What a path names; `follow` false looks at a link itself (lstat).
enum class Kind { Missing, File, Dir, Other };
Kind kind_of(const std::string& path, bool follow = true);

// A file's identity for caches: device, inode (file index), size, mtime.
struct FileId {
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtime_ns = 0;
};
// Follows links; false (errno set) when the path cannot be looked at.
bool file_id(const std::string& path, FileId& id);
// Whether two paths name the same file (links followed); false when either
// cannot be looked at.
inline bool same_file(const std::string& a, const std::string& b) {
  FileId x, y;
  return file_id(a, x) && file_id(b, y) && x.dev == y.dev && x.ino == y.ino;
}

// open(2) for reading; -1 with errno.
int open_read(const std::string& path);
// The same, never blocking in the open itself (a FIFO swapped in after a
// look); reads block as usual.
int open_read_nonblocking(const std::string& path);
// Created or truncated for writing, with permission bits `mode` when new.
int open_write(const std::string& path, unsigned mode);
// Created (0600 when new) or opened for appending: every write(2) on it goes
// at the end, one write whole (HVYM_STORE_TRACE's lines from many processes).
// Never waits to open: a FIFO without a reader is refused (-1).
int open_append(const std::string& path);
// Reads until end of file or `max` bytes (more is an error: false with
// errno EFBIG). False with errno on a read error.
bool read_fd(int fd, std::string& out, size_t max);
// read(2): up to n bytes; 0 at end of file; -1 with errno.
long long read_some(int fd, void* buf, size_t n);
// pread(2): up to n bytes at offset `at`; -1 with errno.
long long read_at(int fd, void* buf, size_t n, uint64_t at);
// Whether fd is a regular file, and its size.
bool regular_fd(int fd, uint64_t& size);
// The permission bits of an open file (copying a file keeps them).
unsigned mode_of(int fd);

// mkdir(2): true when made or already there (errno EEXIST kept for callers).
bool make_dir(const std::string& path, unsigned mode);
// mkdtemp(3): `templ` ends in XXXXXX, replaced by the made folder's name.
bool make_temp_dir(std::string& templ);
// Removes `names` inside dir, then dir itself, never through a link.
void remove_dir_files(const std::string& dir, std::initializer_list<const char*> names);
// Calls fn(name) for each entry of dir but . and ..; false when unreadable.
bool list_dir(const std::string& dir, const std::function<void(std::string_view)>& fn);
// Removes a path and, for a folder, everything in it (links are removed,
// never followed).
void remove_tree(const std::string& path);

// What stands at a command link's path: nothing, a link to `self`, a link
// to something else (its target in `target`), something that is not a
// link, or (Windows) one that hvym made but that does not follow `self`:
// a launcher for another path or an older launcher, a hard link or copy of
// any hvym (which an upgrade leaves on the old program): Stale, to replace.
// Windows: Ours is the launcher link_program would write now. Error: errno
// says why.
enum class Link { Missing, Ours, Other, NotLink, Stale, Error };
Link program_link(const std::string& path, const std::string& self, std::string& target);
// Makes path run the program `self`: a symbolic link on POSIX; on Windows a
// launcher of a few kilobytes that starts `self` by its path (so it follows
// upgrades, on any volume: launcher_win.cpp). False with errno.
bool link_program(const std::string& self, const std::string& path);
// Replaces what stands at path (a link program_link called Other or Stale)
// with a fresh link, renamed over it: never a moment without a program at
// path (Windows: one running is renamed aside first). False with errno.
bool relink_program(const std::string& self, const std::string& path);
// unlink(2).
bool remove_file(const std::string& path);
// rename(2) of a file, replacing `to` when it exists (Windows too).
bool replace_file(const std::string& from, const std::string& to);
// Renames a folder into place; fails (errno EEXIST or ENOTEMPTY) when `to`
// exists, never replacing it.
bool move_dir(const std::string& from, const std::string& to);
// Permission to run it: 0755 on POSIX; nothing to do on Windows.
bool make_executable(const std::string& path);
// Whether path is a unix socket (Windows: any AF_UNIX socket file there).
bool is_socket(const std::string& path);
// isatty(3).
bool is_terminal(int fd);
// The name a program link gets for command `name` (name.exe on Windows).
std::string program_name(std::string_view name);

// `candidate` when it is a program that can be run (Windows: also with
// each of %PATHEXT%'s endings added, npm being npm.cmd), else "".
std::string executable_at(const std::string& candidate);
// The running executable's absolute path, or "".
std::string self_exe();

// The user's home folder ($HOME; %USERPROFILE% on Windows), "" if unknown.
std::string home_dir();
// The separator of PATH's entries.
char path_list_separator();

// A folder's owner and mode are this user's or root's, and nobody else may
// write it; false with the reason (Windows: owned by this user or by the
// Administrators/SYSTEM, checked through its security descriptor).
bool folder_is_ours(const std::string& dir, bool& missing, std::string& error);

// --- a folder opened once --------------------------------------------------
// A folder is opened once, never through a symbolic link at its last
// component, checked on that descriptor, and everything in it is then
// reached relative to the descriptor (openat and its kin): a user who owns
// a parent folder and swaps folders under the same path never gets hvym to
// use theirs after the check. Windows keeps the path and reaches names
// through it, as before (no rename-exchange race is defended there).
class Dir {
 public:
  Dir() = default;
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;
  Dir(Dir&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  Dir& operator=(Dir&& o) noexcept;
  ~Dir() { close(); }
  // Opens `path` (false with errno: ENOENT missing, ENOTDIR not a folder,
  // ELOOP a symbolic link).
  bool open(const std::string& path);
  // A folder inside this one, likewise; path() is parent.path()/name.
  bool open_in(const Dir& parent, std::string_view name);
  void close();
  bool is_open() const { return fd_ != -1; }
  const std::string& path() const { return path_; }  // for messages
  int fd() const { return fd_; }  // POSIX: the descriptor; Windows: 0 when open

 private:
  int fd_ = -1;
  std::string path_;
};

// What an open folder, a name in one (never following a link: a link is
// Kind::Other) or an open file is.
struct Entry {
  Kind kind = Kind::Missing;
  FileId id;
  unsigned owner = 0;   // uid (Windows: 0)
  unsigned mode = 0;    // permission bits (Windows: 0700)
  bool ours = false;    // owned by this user or by root (Windows: always)
};
// false with errno (ENOENT: no such name).
bool entry_at(const Dir& dir, std::string_view name, Entry& e);
bool entry_of(const Dir& dir, Entry& e);
bool entry_of_fd(int fd, Entry& e);
// LMDB's descriptor (mdb_filehandle_t: an int on POSIX, a HANDLE on Windows).
bool entry_of_handle(int fd, Entry& e);
bool entry_of_handle(void* handle, Entry& e);

// dir is ours or root's and nobody else may write it (folder_is_ours on
// the open folder); false with the reason, naming dir.path().
bool dir_is_ours(const Dir& dir, std::string& error);
// Opens `name` in dir for reading, never following a link and never
// blocking in the open (a FIFO); -1 with errno (ELOOP: a link).
int open_read_at(const Dir& dir, std::string_view name);
// Takes an exclusive flock on fd, waiting while another process holds one;
// the kernel drops it when fd is closed or its process dies. Windows:
// nothing (true).
bool lock_exclusive(int fd);
// mkdtemp(3) in dir: `name` ends in XXXXXX, replaced by the made folder's name.
bool make_temp_dir_at(const Dir& dir, std::string& name);
// Renames folder `from` in dir to `to` in dir; fails (EEXIST or ENOTEMPTY)
// when `to` exists, never replacing it.
bool move_dir_at(const Dir& dir, std::string_view from, std::string_view to);
// Removes `names` inside folder `name` of dir, then that folder, never
// through a link.
void remove_dir_files_at(const Dir& dir, std::string_view name,
                         std::initializer_list<const char*> names);
// Calls fn(name) for each entry of dir but . and ..; false when unreadable.
bool list_dir_at(const Dir& dir, const std::function<void(std::string_view)>& fn);
// A path naming the open folder itself that nobody can swap, for a library
// that opens by path (LMDB): /proc/self/fd/N on Linux. Where there is none
// (another system, no /proc), dir.path() with `check` set: the caller then
// compares what it opened with entry_at() (and Windows: dir.path(), `check`
// clear: by path, as before).
std::string fixed_path(const Dir& dir, bool& check);
// The file system holding dir has (almost) no space left for this user:
// less than 1 MiB.
bool nearly_full(const Dir& dir);
bool nearly_full_handle(int fd);
bool nearly_full_handle(void* handle);

}  // namespace hvym::fs
