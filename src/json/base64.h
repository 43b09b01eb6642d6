// Streaming base64 (RFC 4648, with padding) into a Sink.
#pragma once
#include <cstddef>
#include <string_view>

#include "io/sink.h"

namespace hvym {

class Base64Stream {
 public:
  explicit Base64Stream(Sink& out) : out_(out) {}
  // Any amount, any number of times.
  void write(const unsigned char* data, size_t n);
  // Encodes what is left (with padding).
  void finish();

 private:
  Sink& out_;
  unsigned char carry_[3];  // a group being completed across calls
  size_t carried_ = 0;
  char buf_[65536];  // a multiple of 4
};

}  // namespace hvym
