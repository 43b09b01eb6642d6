// The data folder lock (lock.h) on Windows: LockFileEx on DATA\hvym.lock.
// The lock covers one byte far past the end of the file, so the holder's
// pid at its start stays readable by the one waiting (Windows locks are
// mandatory: a locked range cannot be read).
#include "platform/lock.h"

#include <io.h>
#include <windows.h>

#include <fcntl.h>

#include "platform/files.h"
#include "platform/process.h"
#include "platform/win_text.h"

namespace hvym {
namespace {

constexpr long long kMaxWaitMs = 35 * 60 * 1000;
constexpr DWORD kLockOffsetHigh = 0x7fffffff;  // the locked byte: beyond any pid

bool try_lock(HANDLE h) {
  OVERLAPPED ov{};
  ov.OffsetHigh = kLockOffsetHigh;
  return LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov);
}

}  // namespace

ExclusiveLock::~ExclusiveLock() {
  if (fd_ < 0) return;
  OVERLAPPED ov{};
  ov.OffsetHigh = kLockOffsetHigh;
  UnlockFileEx(reinterpret_cast<HANDLE>(_get_osfhandle(fd_)), 0, 1, 0, &ov);
  _close(fd_);
}

bool ExclusiveLock::acquire(const fs::Dir&, const std::string& data_dir, const char* name, WaitingFn waiting,
                            void* ctx, std::string& error) {
  // The caller made and checked the folder (Windows locks by path).
  std::string path = data_dir + "\\" + name;
  // Never through a symbolic link or junction (the reparse point itself is
  // opened, then refused), never a device.
  HANDLE h = CreateFileW(wide(path).c_str(), GENERIC_READ | GENERIC_WRITE,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_ALWAYS,
                         FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    error = "cannot open " + path + ": " + win_error(GetLastError());
    return false;
  }
  BY_HANDLE_FILE_INFORMATION info;
  if (GetFileType(h) != FILE_TYPE_DISK || !GetFileInformationByHandle(h, &info) ||
      (info.dwFileAttributes & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY))) {
    CloseHandle(h);
    error = "cannot open " + path + ": not a regular file";
    return false;
  }
  fd_ = _open_osfhandle(reinterpret_cast<intptr_t>(h), _O_RDWR | _O_BINARY);
  if (fd_ < 0) {
    CloseHandle(h);
    error = "cannot open " + path + ": out of file descriptors";
    return false;
  }
  if (!try_lock(h)) {
    DWORD code = GetLastError();
    if (code != ERROR_LOCK_VIOLATION && code != ERROR_IO_PENDING) {
      error = "cannot lock " + path + ": " + win_error(code);
      return false;
    }
    char holder[32] = {};
    DWORD n = 0;
    OVERLAPPED at{};
    std::string who = ReadFile(h, holder, sizeof holder - 1, &n, &at) && n > 0 ? std::string(holder, n) : "?";
    while (!who.empty() && (who.back() == '\n' || who.back() == '\r' || who.back() == ' ')) who.pop_back();
    waiting(ctx, who);
    // Waiting is bounded: the longest holder (a pull) ends within 30
    // minutes itself (the pull's own bound).
    long long give_up = now_ms() + kMaxWaitMs;
    while (!try_lock(h)) {
      code = GetLastError();
      if (code != ERROR_LOCK_VIOLATION && code != ERROR_IO_PENDING) {
        error = "cannot lock " + path + ": " + win_error(code);
        return false;
      }
      if (now_ms() >= give_up) {
        error = "another hvym command (pid " + who + ") has held " + path + " for " +
                std::to_string(kMaxWaitMs / 60000) + " minutes; giving up";
        return false;
      }
      Sleep(50);
    }
  }
  // Who holds it, for the next one's message.
  std::string me = std::to_string(GetCurrentProcessId()) + "\n";
  LARGE_INTEGER zero{};
  DWORD put = 0;
  if (SetFilePointerEx(h, zero, nullptr, FILE_BEGIN) && SetEndOfFile(h)) {
    OVERLAPPED at{};
    WriteFile(h, me.data(), static_cast<DWORD>(me.size()), &put, &at);
  }
  return true;
}

}  // namespace hvym
