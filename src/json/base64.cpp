#include "json/base64.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace hvym {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Pairs of alphabet characters for every 12-bit value: two lookups per 3 bytes.
struct Pairs {
  char t[4096][2];
  constexpr Pairs() : t() {
    for (int i = 0; i < 4096; ++i) {
      t[i][0] = kAlphabet[i >> 6];
      t[i][1] = kAlphabet[i & 63];
    }
  }
};
constexpr Pairs kPairs;

}  // namespace

void Base64Stream::write(const unsigned char* data, size_t n) {
  if (carried_) {  // complete the group left from the last call
    size_t take = std::min(3 - carried_, n);
    std::memcpy(carry_ + carried_, data, take);
    carried_ += take, data += take, n -= take;
    if (carried_ < 3) return;
    unsigned char group[3];
    std::memcpy(group, carry_, 3);
    carried_ = 0;
    write(group, 3);
  }
  while (n >= 3) {
    size_t groups = std::min(n / 3, sizeof buf_ / 4);
    char* o = buf_;
    for (size_t i = 0; i < groups; ++i, data += 3, o += 4) {
      uint32_t v = (uint32_t{data[0]} << 16) | (uint32_t{data[1]} << 8) | data[2];
      std::memcpy(o, kPairs.t[v >> 12], 2);
      std::memcpy(o + 2, kPairs.t[v & 0xFFF], 2);
    }
    out_.write({buf_, groups * 4});
    n -= groups * 3;
  }
  std::memcpy(carry_, data, n);  // fewer than 3 left
  carried_ = n;
}

void Base64Stream::finish() {
  if (!carried_) return;
  uint32_t v = uint32_t{carry_[0]} << 16;
  if (carried_ == 2) v |= uint32_t{carry_[1]} << 8;
  char o[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63],
               carried_ == 2 ? kAlphabet[(v >> 6) & 63] : '=', '='};
  out_.write({o, 4});
  carried_ = 0;
}

}  // namespace hvym
