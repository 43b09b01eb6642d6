// Strict UTF-8 decoding, as Python's decoder sees argv and files.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hvym::utf8 {

// Decodes one code point at p (n bytes available). Returns its length, or 0
// when the bytes there are not valid UTF-8 (overlong forms, surrogates and
// values above U+10FFFF included). Python would turn each such byte into a
// lone surrogate U+DC80..U+DCFF (surrogateescape).
inline size_t decode(const unsigned char* p, size_t n, uint32_t& cp) {
  unsigned char b = p[0];
  if (b < 0x80) { cp = b; return 1; }
  size_t len;
  uint32_t min;
  if (b >= 0xC2 && b <= 0xDF) { len = 2; cp = b & 0x1F; min = 0x80; }
  else if (b >= 0xE0 && b <= 0xEF) { len = 3; cp = b & 0x0F; min = 0x800; }
  else if (b >= 0xF0 && b <= 0xF4) { len = 4; cp = b & 0x07; min = 0x10000; }
  else return 0;
  if (n < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace hvym::utf8
