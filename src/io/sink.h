// Where a command's bytes go. A command never writes to fd 1 itself: the
// dispatcher hands it a Sink, so the same unit can run in-process many times
// (batch, serve) with its output captured.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace hvym {

struct ByteBudget;

class Sink {
 public:
  // Receives buffered bytes; returns false when the destination failed.
  using FlushFn = bool (*)(void* ctx, const char* data, size_t n);

  Sink(FlushFn fn, void* ctx) : fn_(fn), ctx_(ctx) {}
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;
  ~Sink() { flush(); }

  void write(std::string_view s);
  void put(char c) {
    if (n_ == sizeof buf_) flush();
    buf_[n_++] = c;
  }
  void line(std::string_view s) {
    write(s);
    put('\n');
    if (line_buffered_) flush();
  }
  // Each line() goes out at once (a batch/serve child: its caller streams
  // the lines as they come).
  void set_line_buffered() { line_buffered_ = true; }
  // Pushes buffered bytes out; false once any write has failed.
  bool flush();
  bool failed() const { return failed_; }

 protected:
  // Zeroes the buffer (it may have held a secret on its way through).
  void wipe_buffer();

 private:
  char buf_[4096];
  size_t n_ = 0;
  FlushFn fn_;
  void* ctx_;
  bool failed_ = false;
  bool line_buffered_ = false;
};

// Writes everything, retrying on EINTR and short writes.
bool write_all(int fd, const char* data, size_t n);

// A Sink that writes to a file descriptor.
class FdSink : public Sink {
 public:
  explicit FdSink(int fd);
 private:
  static bool flush_fd(void* ctx, const char* data, size_t n);
};

// A Sink that appends to a string (batch, serve, tests).
class StringSink : public Sink {
 public:
  explicit StringSink(std::string& s);
 private:
  static bool flush_string(void* ctx, const char* data, size_t n);
};

// A StringSink whose buffer is zeroed after (a passphrase or recovery words
// may go through it). Reserve the string beforehand and no reallocation
// leaves a copy behind either.
class SecretStringSink : public StringSink {
 public:
  using StringSink::StringSink;
  ~SecretStringSink() {
    flush();
    wipe_buffer();
  }
};

// A StringSink that holds at most what `room` says is left (one counter for
// a request's stdout and stderr alike): past it, nothing more is kept and
// the sink fails, so a command streaming a large answer stops.
class BoundedStringSink : public Sink {
 public:
  // With `budget`, what it keeps is taken from it too (serve's output across
  // its requests) and added to *charged, which the caller gives back.
  BoundedStringSink(std::string& s, size_t& room, ByteBudget* budget = nullptr, size_t* charged = nullptr);
  ~BoundedStringSink() { flush(); }  // while target_ is alive
 private:
  struct Target {
    std::string* s;
    size_t* room;
    ByteBudget* budget;
    size_t* charged;
  } target_;
  static bool flush_bounded(void* ctx, const char* data, size_t n);
};

}  // namespace hvym
