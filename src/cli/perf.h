// HVYM_PERF=1: one line on stderr with where the time of a call went.
#pragma once
#include <cstdint>

#include "io/sink.h"

namespace hvym {

class Perf {
 public:
  // Reads HVYM_PERF; when unset every other member is a no-op.
  explicit Perf(const char* setting);  // HVYM_PERF's value, or null
  void dispatched();  // the command is found and its arguments are next
  void report(int status, Sink& err);  // call once the command has returned

 private:
  bool on_ = false;
  int64_t start_to_main_us_ = 0;
  int64_t main_ns_ = 0;
  int64_t dispatched_ns_ = 0;
};

}  // namespace hvym
