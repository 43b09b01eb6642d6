#include "platform/waiter.h"

#include <condition_variable>
#include <mutex>

#include "platform/process.h"

namespace hvym {

// Windows: folders and processes are not followed (the callers check on a
// timer); a wake is a condition variable.
struct Waiter::State {
  std::mutex mu;
  std::condition_variable cv;
  bool poked = false;
};

Waiter::Waiter() : s_(std::make_unique<State>()) {}
Waiter::~Waiter() = default;
bool Waiter::watch_folder(const std::string&) { return false; }
void Waiter::forget_folders() {}
bool Waiter::watch_process(long) { return false; }
void Waiter::forget_process() {}

void Waiter::wake() {
  std::lock_guard lock(s_->mu);
  s_->poked = true;
  s_->cv.notify_all();
}

unsigned Waiter::wait(long long deadline_ms) {
  std::unique_lock lock(s_->mu);
  while (!s_->poked) {
    if (deadline_ms < 0) {
      s_->cv.wait(lock);
      continue;
    }
    long long left = deadline_ms - now_ms();
    if (left <= 0) return kTimeout;
    s_->cv.wait_for(lock, std::chrono::milliseconds(left));
  }
  s_->poked = false;
  return kWoken;
}

}  // namespace hvym
