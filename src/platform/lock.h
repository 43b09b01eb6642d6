// One mutating command at a time per data folder: an flock on
// DATA/hvym.lock (Windows: LockFileEx on it). The kernel drops it when the
// holder exits or is killed, so a dead holder never blocks the next command.
// src/platform/lock_posix.cpp, lock_win.cpp.
#pragma once
#include <string>

namespace hvym {
namespace fs {
class Dir;
}

class ExclusiveLock {
 public:
  ExclusiveLock() = default;
  ExclusiveLock(const ExclusiveLock&) = delete;
  ExclusiveLock& operator=(const ExclusiveLock&) = delete;
  ~ExclusiveLock();

  // Called once before waiting, with the holder's pid as it wrote it.
  using WaitingFn = void (*)(void* ctx, const std::string& holder);
  // Takes the lock `name` in the data folder `folder` (opened and checked by
  // the caller: store/paths.h's lock_data_dir; `data_dir` is its path),
  // waiting while another holds it.
  bool acquire(const fs::Dir& folder, const std::string& data_dir, const char* name, WaitingFn waiting, void* ctx,
               std::string& error);

 private:
  int fd_ = -1;  // Windows: a CRT fd of the file's handle
};

}  // namespace hvym
