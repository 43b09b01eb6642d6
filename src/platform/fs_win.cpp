// The file system (fs.h) on Windows. Paths are UTF-8 (converted to UTF-16
// for the W functions); '/' and '\' both separate. Descriptors are the C
// runtime's, opened binary and not inherited.
#include "platform/fs.h"

#include <aclapi.h>
#include <fcntl.h>
#include <io.h>
#include <sddl.h>
#include <sys/stat.h>
#include <windows.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "platform/sys.h"
#include "platform/win_text.h"

namespace hvym::fs {
namespace {

int set_errno_from(DWORD code) {
  switch (code) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND: errno = ENOENT; break;
    case ERROR_ACCESS_DENIED: errno = EACCES; break;
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS: errno = EEXIST; break;
    case ERROR_DIR_NOT_EMPTY: errno = ENOTEMPTY; break;
    default: errno = EIO;
  }
  return -1;
}

WIN32_FILE_ATTRIBUTE_DATA attributes(const std::string& path, bool& ok) {
  WIN32_FILE_ATTRIBUTE_DATA a{};
  ok = GetFileAttributesExW(wide(path).c_str(), GetFileExInfoStandard, &a) != 0;
  if (!ok) set_errno_from(GetLastError());
  return a;
}

}  // namespace

Kind kind_of(const std::string& path, bool follow) {
  bool ok;
  WIN32_FILE_ATTRIBUTE_DATA a = attributes(path, ok);
  if (!ok) return Kind::Missing;
  if (!follow && (a.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) return Kind::Other;
  return (a.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? Kind::Dir : Kind::File;
}

bool file_id(const std::string& path, FileId& id) {
  HANDLE h = CreateFileW(wide(path).c_str(), FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (h == INVALID_HANDLE_VALUE) return set_errno_from(GetLastError()), false;
  BY_HANDLE_FILE_INFORMATION info{};
  bool ok = GetFileInformationByHandle(h, &info) != 0;
  CloseHandle(h);
  if (!ok) return errno = EIO, false;
  id.dev = info.dwVolumeSerialNumber;
  id.ino = (static_cast<uint64_t>(info.nFileIndexHigh) << 32) | info.nFileIndexLow;
  id.size = (static_cast<uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
  id.mtime_ns = static_cast<int64_t>((static_cast<uint64_t>(info.ftLastWriteTime.dwHighDateTime) << 32) |
                                     info.ftLastWriteTime.dwLowDateTime) * 100;
  return true;
}

int open_read(const std::string& path) {
  return _wopen(wide(path).c_str(), _O_RDONLY | _O_BINARY | _O_NOINHERIT);
}

int open_read_nonblocking(const std::string& path) { return open_read(path); }

int open_write(const std::string& path, unsigned mode) {
  return _wopen(wide(path).c_str(), _O_WRONLY | _O_CREAT | _O_TRUNC | _O_BINARY | _O_NOINHERIT,
                (mode & 0200) ? _S_IREAD | _S_IWRITE : _S_IREAD);
}

int open_append(const std::string& path) {
  return _wopen(wide(path).c_str(), _O_WRONLY | _O_CREAT | _O_APPEND | _O_BINARY | _O_NOINHERIT,
                _S_IREAD | _S_IWRITE);
}

bool read_fd(int fd, std::string& out, size_t max) {
  char buf[65536];
  while (true) {
    int n = _read(fd, buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) return false;
    if (out.size() + static_cast<size_t>(n) > max) return errno = EFBIG, false;
    out.append(buf, static_cast<size_t>(n));
  }
}

long long read_some(int fd, void* buf, size_t n) {
  return _read(fd, buf, n > 0x40000000 ? 0x40000000u : static_cast<unsigned>(n));
}

long long read_at(int fd, void* buf, size_t n, uint64_t at) {
  HANDLE h = reinterpret_cast<HANDLE>(_get_osfhandle(fd));
  if (h == INVALID_HANDLE_VALUE) return errno = EBADF, -1;
  OVERLAPPED ov{};
  ov.Offset = static_cast<DWORD>(at);
  ov.OffsetHigh = static_cast<DWORD>(at >> 32);
  DWORD got = 0;
  DWORD want = n > 0x40000000 ? 0x40000000 : static_cast<DWORD>(n);
  if (!ReadFile(h, buf, want, &got, &ov)) {
    if (GetLastError() == ERROR_HANDLE_EOF) return 0;
    return set_errno_from(GetLastError());
  }
  return got;
}

bool regular_fd(int fd, uint64_t& size) {
  HANDLE h = reinterpret_cast<HANDLE>(_get_osfhandle(fd));
  if (h == INVALID_HANDLE_VALUE || GetFileType(h) != FILE_TYPE_DISK) return false;
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(h, &info) || (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) return false;
  size = (static_cast<uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
  return true;
}

unsigned mode_of(int) { return 0644; }

bool make_dir(const std::string& path, unsigned) {
  if (CreateDirectoryW(wide(path).c_str(), nullptr)) return true;
  set_errno_from(GetLastError());
  return errno == EEXIST;
}

bool make_temp_dir(std::string& templ) {
  size_t x = templ.rfind("XXXXXX");
  if (x == std::string::npos) return errno = EINVAL, false;
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (int attempt = 0; attempt < 100; ++attempt) {
    unsigned char r[6];
    if (!sys::random_bytes(r, sizeof r)) {
      LARGE_INTEGER t;
      QueryPerformanceCounter(&t);
      for (int i = 0; i < 6; ++i) r[i] = static_cast<unsigned char>((t.QuadPart >> (i * 5)) ^ (GetCurrentThreadId() >> i));
    }
    for (int i = 0; i < 6; ++i) templ[x + i] = kChars[r[i] % 36];
    if (CreateDirectoryW(wide(templ).c_str(), nullptr)) return true;
    if (GetLastError() != ERROR_ALREADY_EXISTS) return set_errno_from(GetLastError()), false;
  }
  return errno = EEXIST, false;
}

void remove_dir_files(const std::string& dir, std::initializer_list<const char*> names) {
  if (kind_of(dir, /*follow=*/false) != Kind::Dir) return;  // never through a junction or link
  for (const char* name : names) DeleteFileW(wide(dir + "\\" + name).c_str());
  RemoveDirectoryW(wide(dir).c_str());
}

bool list_dir(const std::string& dir, const std::function<void(std::string_view)>& fn) {
  WIN32_FIND_DATAW d;
  HANDLE h = FindFirstFileW(wide(dir + "\\*").c_str(), &d);
  if (h == INVALID_HANDLE_VALUE) return GetLastError() == ERROR_FILE_NOT_FOUND;
  do {
    std::string name = narrow(d.cFileName);
    if (name != "." && name != "..") fn(name);
  } while (FindNextFileW(h, &d));
  FindClose(h);
  return true;
}

void remove_tree(const std::string& path) {
  bool ok;
  WIN32_FILE_ATTRIBUTE_DATA a = attributes(path, ok);
  if (!ok) return;
  if ((a.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) && !(a.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
    list_dir(path, [&](std::string_view name) { remove_tree(path + "\\" + std::string(name)); });
    RemoveDirectoryW(wide(path).c_str());
  } else if (a.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
    RemoveDirectoryW(wide(path).c_str());  // a junction: the link goes, not its target
  } else {
    if (a.dwFileAttributes & FILE_ATTRIBUTE_READONLY)
      SetFileAttributesW(wide(path).c_str(), a.dwFileAttributes & ~FILE_ATTRIBUTE_READONLY);
    DeleteFileW(wide(path).c_str());
  }
}

extern const unsigned char kLauncher[];      // launcher_win.cpp, built (launcher_bytes.cpp)
extern const unsigned long kLauncher_size;

namespace {

constexpr char kLauncherMagic[] = "HVYMLNK1";
constexpr size_t kLauncherMax = 1 << 20;       // a launcher is a few kilobytes
constexpr size_t kProgramMax = 64u << 20;      // an hvym.exe is a few megabytes
// In every hvym.exe since command links existed (toplevel.cpp's usage).
constexpr std::string_view kHvymSignature = "--ask-on-terminal takes one folder";

// The launcher for `self`: its program, self's path in UTF-16, the path's
// length in bytes, the magic.
std::string launcher_for(const std::string& self) {
  std::string image(reinterpret_cast<const char*>(kLauncher), kLauncher_size);
  std::wstring w = wide(self);
  image.append(reinterpret_cast<const char*>(w.data()), w.size() * sizeof(wchar_t));
  uint32_t n = uint32_t(w.size() * sizeof(wchar_t));
  for (int i = 0; i < 4; ++i) image += char(n >> (8 * i) & 0xff);
  image.append(kLauncherMagic, 8);
  return image;
}

// The whole file when it is at most `max` bytes; false (errno) otherwise.
bool read_small(const std::string& path, size_t max, std::string& into) {
  HANDLE h = CreateFileW(wide(path).c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return set_errno_from(GetLastError()), false;
  LARGE_INTEGER size{};
  bool ok = GetFileSizeEx(h, &size) && size.QuadPart >= 0 && uint64_t(size.QuadPart) <= max;
  if (ok) {
    into.assign(size_t(size.QuadPart), '\0');
    DWORD got = 0;
    for (size_t at = 0; ok && at < into.size(); at += got)
      ok = ReadFile(h, into.data() + at, DWORD(std::min<size_t>(into.size() - at, 1 << 20)), &got, nullptr) && got;
  } else {
    errno = EFBIG;
  }
  CloseHandle(h);
  return ok;
}

// The launcher's trailer: the path it starts, or "" when there is none.
std::string launcher_target(const std::string& bytes) {
  if (bytes.size() <= kLauncher_size + 12 || !bytes.ends_with(kLauncherMagic)) return {};
  size_t n = uint8_t(bytes[bytes.size() - 12]) | uint8_t(bytes[bytes.size() - 11]) << 8 |
             uint8_t(bytes[bytes.size() - 10]) << 16 | size_t(uint8_t(bytes[bytes.size() - 9])) << 24;
  if (n == 0 || n % 2 || n + 12 > bytes.size()) return {};
  std::wstring w(n / 2, L'\0');
  std::memcpy(w.data(), bytes.data() + bytes.size() - 12 - n, n);
  return narrow(w);
}

// Writes `image` at path through a new file renamed into place (never a
// half-written program at path): with `replace`, over what is there, and
// when that is a running program (which Windows will not replace), it is
// first renamed aside to PATH.hvym-old, removed when it can be (else at the
// next --install).
bool put_program(const std::string& image, const std::string& path, bool replace) {
  std::string fresh = path + ".hvym-new-" + std::to_string(GetCurrentProcessId());
  HANDLE h = CreateFileW(wide(fresh).c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return set_errno_from(GetLastError()), false;
  DWORD done = 0;
  bool ok = WriteFile(h, image.data(), DWORD(image.size()), &done, nullptr) && done == image.size() &&
            FlushFileBuffers(h);
  DWORD code = ok ? 0 : GetLastError();
  CloseHandle(h);
  std::wstring from = wide(fresh), to = wide(path);
  if (ok && replace) {
    DWORD a = GetFileAttributesW(to.c_str());
    if (a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_READONLY))
      SetFileAttributesW(to.c_str(), a & ~DWORD{FILE_ATTRIBUTE_READONLY});
    ok = MoveFileExW(from.c_str(), to.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);
    if (!ok) {  // running: renamed aside, which Windows allows
      std::wstring old = wide(path + ".hvym-old");
      DeleteFileW(old.c_str());  // one left by an earlier run
      ok = MoveFileExW(to.c_str(), old.c_str(), 0) &&
           MoveFileExW(from.c_str(), to.c_str(), MOVEFILE_WRITE_THROUGH);
      if (ok) DeleteFileW(old.c_str());
    }
  } else if (ok) {
    ok = MoveFileExW(from.c_str(), to.c_str(), MOVEFILE_WRITE_THROUGH);
  }
  if (!ok) {
    if (!code) code = GetLastError();
    DeleteFileW(from.c_str());
    set_errno_from(code);
  }
  return ok;
}

}  // namespace

Link program_link(const std::string& path, const std::string& self, std::string& target) {
  FileId here;
  if (!file_id(path, here)) return errno == ENOENT ? Link::Missing : Link::Error;
  if (same_file(path, self)) return target = self, Link::Stale;  // a hard link: stays on this file
  std::string bytes;
  bool small = read_small(path, kLauncherMax, bytes);
  auto launcher_code = [&](size_t n) {  // its first n bytes are the launcher program's
    return bytes.compare(0, n, reinterpret_cast<const char*>(kLauncher), n) == 0;
  };
  if (small && bytes.starts_with("MZ") && bytes.ends_with(kLauncherMagic)) {  // a launcher
    target = launcher_target(bytes);
    if (bytes == launcher_for(self)) return Link::Ours;
    // The same program spelt otherwise (Z:\TMP\HVYM.EXE): ours as it is.
    if (!target.empty() && launcher_code(kLauncher_size) && same_file(target, self))
      return Link::Ours;
    return Link::Stale;
  }
  // A launcher cut short (its program without its trailer), or a hard link
  // or copy of an hvym (the links before launchers).
  if (size_t n = std::min<size_t>(bytes.size(), kLauncher_size); small && n >= 512 && launcher_code(n))
    return target = path, Link::Stale;
  if (!small && !read_small(path, kProgramMax, bytes)) return Link::NotLink;
  if (bytes.starts_with("MZ") && std::string_view(bytes).find(kHvymSignature) != std::string_view::npos)
    return target = path, Link::Stale;
  return Link::NotLink;
}

bool link_program(const std::string& self, const std::string& path) {
  return put_program(launcher_for(self), path, /*replace=*/false);
}

bool relink_program(const std::string& self, const std::string& path) {
  return put_program(launcher_for(self), path, /*replace=*/true);
}

bool remove_file(const std::string& path) {
  return DeleteFileW(wide(path).c_str()) || (set_errno_from(GetLastError()), false);
}

bool replace_file(const std::string& from, const std::string& to) {
  return MoveFileExW(wide(from).c_str(), wide(to).c_str(), MOVEFILE_REPLACE_EXISTING) ||
         (set_errno_from(GetLastError()), false);
}

bool move_dir(const std::string& from, const std::string& to) {
  return MoveFileExW(wide(from).c_str(), wide(to).c_str(), 0) || (set_errno_from(GetLastError()), false);
}

bool make_executable(const std::string&) { return true; }

bool is_socket(const std::string& path) {
  return !path.empty() && GetFileAttributesW(wide(path).c_str()) != INVALID_FILE_ATTRIBUTES;
}

bool is_terminal(int fd) { return _isatty(fd) != 0; }

std::string program_name(std::string_view name) { return std::string(name) + ".exe"; }

std::string executable_at(const std::string& candidate) {
  auto runnable = [](const std::string& p) {
    DWORD a = GetFileAttributesW(wide(p).c_str());
    return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
  };
  size_t slash = candidate.find_last_of("/\\");
  bool has_ending = candidate.find('.', slash == std::string::npos ? 0 : slash + 1) != std::string::npos;
  if (has_ending && runnable(candidate)) return candidate;
  const char* ext = std::getenv("PATHEXT");
  std::string_view rest = ext && *ext ? ext : ".COM;.EXE;.BAT;.CMD";
  while (!rest.empty()) {
    size_t end = rest.find(';');
    std::string_view e = rest.substr(0, end);
    if (!e.empty()) {
      std::string p = candidate;
      for (char c : e) p += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      if (runnable(p)) return p;
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return {};
}

std::string self_exe() {
  std::wstring buf(32768, L'\0');
  DWORD n = GetModuleFileNameW(nullptr, buf.data(), static_cast<DWORD>(buf.size()));
  if (n == 0 || n >= buf.size()) return {};
  buf.resize(n);
  return narrow(buf);
}

std::string home_dir() {
  if (const wchar_t* p = _wgetenv(L"USERPROFILE"); p && *p) return narrow(p);
  return {};
}

char path_list_separator() { return ';'; }

bool folder_is_ours(const std::string& dir, bool& missing, std::string& error) {
  missing = false;
  PSID owner = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  DWORD rc = GetNamedSecurityInfoW(wide(dir).c_str(), SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner,
                                   nullptr, nullptr, nullptr, &sd);
  if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND) return missing = true, true;
  if (rc != ERROR_SUCCESS) return true;  // no security information (FAT, a network share): nothing to check
  bool ours = false;
  HANDLE token = nullptr;
  if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
    char buf[256];
    DWORD n = 0;
    if (GetTokenInformation(token, TokenUser, buf, sizeof buf, &n))
      ours = EqualSid(owner, reinterpret_cast<TOKEN_USER*>(buf)->User.Sid);
    CloseHandle(token);
  }
  if (!ours) {
    // The Administrators group or SYSTEM may own a folder made for the user.
    ours = IsWellKnownSid(owner, WinBuiltinAdministratorsSid) || IsWellKnownSid(owner, WinLocalSystemSid);
  }
  std::string who;
  if (!ours) {
    wchar_t* text = nullptr;
    if (ConvertSidToStringSidW(owner, &text)) {
      who = narrow(text);
      LocalFree(text);
    }
  }
  LocalFree(sd);
  if (!ours) error = dir + " belongs to another user (" + who + "); hvym will not use it";
  return ours;
}

// --- a folder opened once --------------------------------------------------
// Windows keeps the path: names are reached through it, as before (no
// rename-exchange defence here; the folder's owner is checked by path).

namespace {

bool entry_from(HANDLE h, Entry& e) {
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(h, &info)) return set_errno_from(GetLastError()), false;
  e.kind = (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) ? Kind::Other
           : (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)    ? Kind::Dir
           : GetFileType(h) == FILE_TYPE_DISK                      ? Kind::File
                                                                   : Kind::Other;
  e.id.dev = info.dwVolumeSerialNumber;
  e.id.ino = (static_cast<uint64_t>(info.nFileIndexHigh) << 32) | info.nFileIndexLow;
  e.id.size = (static_cast<uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
  e.id.mtime_ns = static_cast<int64_t>((static_cast<uint64_t>(info.ftLastWriteTime.dwHighDateTime) << 32) |
                                       info.ftLastWriteTime.dwLowDateTime) * 100;
  e.owner = 0;
  e.mode = 0700;
  e.ours = true;
  return true;
}

bool entry_by_path(const std::string& path, Entry& e) {
  // FILE_FLAG_OPEN_REPARSE_POINT: a link or junction is looked at itself.
  HANDLE h = CreateFileW(wide(path).c_str(), FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (h == INVALID_HANDLE_VALUE) return set_errno_from(GetLastError()), false;
  bool ok = entry_from(h, e);
  CloseHandle(h);
  return ok;
}

bool plain_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find_first_of("/\\") == std::string_view::npos;
}

std::string in(const Dir& dir, std::string_view name) { return dir.path() + "\\" + std::string(name); }

}  // namespace

Dir& Dir::operator=(Dir&& o) noexcept {
  if (this != &o) {
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

bool Dir::open(const std::string& path) {
  close();
  bool ok;
  WIN32_FILE_ATTRIBUTE_DATA a = attributes(path, ok);
  if (!ok) return false;
  // A junction or link to a folder is followed, as before (by path here).
  if (!(a.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) return errno = ENOTDIR, false;
  fd_ = 0;
  path_ = path;
  return true;
}

bool Dir::open_in(const Dir& parent, std::string_view name) {
  close();
  if (!parent.is_open() || !plain_name(name)) return errno = EINVAL, false;
  return open(in(parent, name));
}

void Dir::close() { fd_ = -1; }

bool entry_at(const Dir& dir, std::string_view name, Entry& e) {
  if (!plain_name(name)) return errno = EINVAL, false;
  return entry_by_path(in(dir, name), e);
}

bool entry_of(const Dir& dir, Entry& e) { return entry_by_path(dir.path(), e); }

bool entry_of_fd(int fd, Entry& e) {
  HANDLE h = reinterpret_cast<HANDLE>(_get_osfhandle(fd));
  if (h == INVALID_HANDLE_VALUE) return errno = EBADF, false;
  return entry_from(h, e);
}

bool entry_of_handle(int fd, Entry& e) { return entry_of_fd(fd, e); }
bool entry_of_handle(void* handle, Entry& e) { return entry_from(static_cast<HANDLE>(handle), e); }

bool dir_is_ours(const Dir& dir, std::string& error) {
  bool missing;
  if (!folder_is_ours(dir.path(), missing, error)) return false;
  if (missing) return error = "cannot use " + dir.path() + ": it is gone", false;
  return true;
}

int open_read_at(const Dir& dir, std::string_view name) {
  if (!plain_name(name)) return errno = EINVAL, -1;
  std::string path = in(dir, name);
  Entry e;
  if (!entry_by_path(path, e)) return -1;
  if (e.kind == Kind::Other) return errno = ELOOP, -1;  // a link is not followed
  return open_read(path);
}

bool lock_exclusive(int) { return true; }

bool make_temp_dir_at(const Dir& dir, std::string& name) {
  std::string full = in(dir, name);
  if (!make_temp_dir(full)) return false;
  name = full.substr(dir.path().size() + 1);
  return true;
}

bool move_dir_at(const Dir& dir, std::string_view from, std::string_view to) {
  if (!plain_name(from) || !plain_name(to)) return errno = EINVAL, false;
  return move_dir(in(dir, from), in(dir, to));
}

void remove_dir_files_at(const Dir& dir, std::string_view name, std::initializer_list<const char*> names) {
  if (plain_name(name)) remove_dir_files(in(dir, name), names);
}

bool list_dir_at(const Dir& dir, const std::function<void(std::string_view)>& fn) {
  return list_dir(dir.path(), fn);
}

std::string fixed_path(const Dir& dir, bool& check) {
  check = false;  // by path, as before (see above)
  return dir.path();
}

bool nearly_full(const Dir& dir) {
  ULARGE_INTEGER avail{};
  return GetDiskFreeSpaceExW(wide(dir.path()).c_str(), &avail, nullptr, nullptr) &&
         avail.QuadPart < (uint64_t{1} << 20);
}

bool nearly_full_handle(int) { return false; }
bool nearly_full_handle(void*) { return false; }

}  // namespace hvym::fs
