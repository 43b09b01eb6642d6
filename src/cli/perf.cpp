#include "cli/perf.h"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace hvym {
namespace {

int64_t clock_ns(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void field(Sink& err, const char* name, int64_t us) {
  char buf[24];
  err.put(' ');
  err.write(name);
  err.put('=');
  err.write({buf, static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, us).ptr - buf)});
}

}  // namespace

Perf::Perf(const char* v) {
  if (!v || std::strcmp(v, "1") != 0) return;
  on_ = true;
  main_ns_ = clock_ns(CLOCK_MONOTONIC);
  // The kernel keeps no sub-millisecond wall-clock start time for a process;
  // its CPU time at main covers exec, the loader and static initialisation,
  // all of which is CPU-bound.
  start_to_main_us_ = clock_ns(CLOCK_PROCESS_CPUTIME_ID) / 1000;
}

void Perf::dispatched() {
  if (on_) dispatched_ns_ = clock_ns(CLOCK_MONOTONIC);
}

void Perf::report(int status, Sink& err) {
  if (!on_) return;
  int64_t end = clock_ns(CLOCK_MONOTONIC);
  if (!dispatched_ns_) dispatched_ns_ = end;
  err.write("hvym perf:");
  field(err, "start_to_main_us", start_to_main_us_);
  field(err, "dispatch_us", (dispatched_ns_ - main_ns_) / 1000);
  field(err, "command_us", (end - dispatched_ns_) / 1000);
  field(err, "total_us", start_to_main_us_ + (end - main_ns_) / 1000);
  field(err, "status", status);
  err.put('\n');
  err.flush();
}

}  // namespace hvym
