#include "io/sink.h"

#include <cstdint>
#include <cstring>

#include "platform/process.h"
#include "platform/wipe.h"

namespace hvym {

void Sink::write(std::string_view s) {
  if (s.size() > sizeof buf_ - n_) {
    flush();
    if (s.size() >= sizeof buf_) {  // large pieces skip the buffer
      if (!failed_ && !fn_(ctx_, s.data(), s.size())) failed_ = true;
      return;
    }
  }
  std::memcpy(buf_ + n_, s.data(), s.size());
  n_ += s.size();
}

bool Sink::flush() {
  if (n_ && !failed_ && !fn_(ctx_, buf_, n_)) failed_ = true;
  n_ = 0;
  return !failed_;
}

void Sink::wipe_buffer() { wipe(buf_, sizeof buf_); }

bool write_all(int fd, const char* data, size_t n) { return write_fd(fd, {data, n}); }

// The descriptor travels in the context pointer itself, so the base class
// destructor's final flush touches no member of this class.
FdSink::FdSink(int fd)
    : Sink(&FdSink::flush_fd, reinterpret_cast<void*>(static_cast<intptr_t>(fd))) {}

bool FdSink::flush_fd(void* ctx, const char* data, size_t n) {
  return write_all(static_cast<int>(reinterpret_cast<intptr_t>(ctx)), data, n);
}

StringSink::StringSink(std::string& s) : Sink(&StringSink::flush_string, &s) {}

bool StringSink::flush_string(void* ctx, const char* data, size_t n) {
  static_cast<std::string*>(ctx)->append(data, n);
  return true;
}

BoundedStringSink::BoundedStringSink(std::string& s, size_t& room, ByteBudget* budget, size_t* charged)
    : Sink(&BoundedStringSink::flush_bounded, &target_), target_{&s, &room, budget, charged} {}

bool BoundedStringSink::flush_bounded(void* ctx, const char* data, size_t n) {
  Target& t = *static_cast<Target*>(ctx);
  if (n > *t.room) {
    *t.room = 0;
    return false;
  }
  if (t.budget) {
    if (!t.budget->take(n)) {
      *t.room = 0;
      return false;
    }
    *t.charged += n;
  }
  t.s->append(data, n);
  *t.room -= n;
  return true;
}

}  // namespace hvym
