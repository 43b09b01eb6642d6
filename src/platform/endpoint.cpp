// What endpoint.h declares for every platform alike.
#include "platform/endpoint.h"

namespace hvym::endpoint {

std::string short_hash(std::string_view text) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a, 64 bits
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  static const char digits[] = "0123456789abcdef";
  std::string out(12, '0');
  for (int i = 11; i >= 0; --i, h >>= 4) out[static_cast<size_t>(i)] = digits[h & 15];
  return out;
}

}  // namespace hvym::endpoint
