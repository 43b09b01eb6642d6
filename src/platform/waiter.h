// One thread's sleep until something happens: an entry of a folder changes,
// a process ends, another thread wakes it, or a deadline passes. serve's
// watches sleep here (cli/watch.cpp, net/engine_follow.cpp), so an idle
// server with watchers uses no CPU between events.
//
// Linux follows folders with inotify and processes with pidfd. Elsewhere
// watch_folder and watch_process answer false, and the caller checks on a
// timer instead (docs/protocol.md, "Where answers come from").
#pragma once
#include <memory>
#include <string>

namespace hvym {

class Waiter {
 public:
  Waiter();
  ~Waiter();
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  // An entry of `dir` created, removed or renamed, `dir` itself removed or
  // renamed (it is no longer followed then), or a file in it written
  // (not opened or closed: a reader that opens a file for writing and
  // writes nothing wakes no one). false: not followed here (no such folder, or
  // not on this platform). Each call adds a folder (one already followed
  // is not added twice).
  bool watch_folder(const std::string& dir);
  void forget_folders();
  // The end of process `pid` (any process, not only a child). false: not
  // followed (gone already, or not on this platform). One at a time.
  bool watch_process(long pid);
  void forget_process();

  // From any thread: the waiting thread returns with kWoken.
  void wake();

  enum : unsigned { kWoken = 1, kFolder = 2, kProcessEnded = 4, kTimeout = 8 };
  // Sleeps until one of the above, or until deadline_ms (now_ms()'s clock;
  // negative: no deadline). What happened, as bits; a wake or folder
  // change that came while the thread was not waiting is returned at once.
  unsigned wait(long long deadline_ms);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace hvym
