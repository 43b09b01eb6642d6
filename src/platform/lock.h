// One mutating command at a time per data folder: an flock on
// DATA/hvym.lock (Windows: LockFileEx on it). The kernel drops it when the
// holder exits or is killed, so a dead holder never blocks the next command.
// src/platform/lock_posix.cpp, lock_win.cpp.
#pragma once
#include <string>

#include "cli/sink.h"

namespace hvym {

class ExclusiveLock {
 public:
  ExclusiveLock() = default;
  ExclusiveLock(const ExclusiveLock&) = delete;
  ExclusiveLock& operator=(const ExclusiveLock&) = delete;
  ~ExclusiveLock();

  // Takes the lock, waiting (and saying so on err) while another holds it.
  // `name`: the lock file in the data folder (serve's starters use their own).
  bool acquire(const std::string& data_dir, Sink& err, std::string& error, const char* name = "hvym.lock");

 private:
  int fd_ = -1;  // Windows: a CRT fd of the file's handle
};

}  // namespace hvym
