#include "json/pyconv.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "json/utf8.h"

namespace hvym::py {
namespace {

bool is_nonascii_space(uint32_t cp) {
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// int() and float() treat as space the ASCII " \t\n\v\f\r" and non-ASCII
// Unicode whitespace; str.strip() also strips U+001C..U+001F.
enum class Spaces { Number, Strip };

bool is_space(uint32_t cp, Spaces kind) {
  if (cp < 0x80) {
    if (cp == ' ' || (cp >= '\t' && cp <= '\r')) return true;
    return kind == Spaces::Strip && cp >= 0x1C && cp <= 0x1F;
  }
  return is_nonascii_space(cp);
}

std::string_view trim(std::string_view s, Spaces kind) {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  size_t b = 0, e = s.size();
  while (b < e) {
    uint32_t cp;
    size_t len = utf8::decode(p + b, e - b, cp);
    if (!len || !is_space(cp, kind)) break;
    b += len;
  }
  while (e > b) {
    size_t start = e - 1;  // back up over continuation bytes to a lead byte
    while (start > b && e - start < 4 && (p[start] & 0xC0) == 0x80) --start;
    uint32_t cp;
    size_t len = utf8::decode(p + start, e - start, cp);
    if (len != e - start || !is_space(cp, kind)) break;
    e = start;
  }
  return s.substr(b, e - b);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Copies a run of digits with single '_' between digits into out; returns the
// position after it, or npos when the run is empty or an '_' is misplaced.
size_t take_digits(std::string_view s, size_t i, std::string& out) {
  size_t start = i;
  while (i < s.size()) {
    if (is_digit(s[i])) {
      out.push_back(s[i++]);
    } else if (s[i] == '_' && i > start && i + 1 < s.size() && is_digit(s[i + 1])) {
      ++i;
    } else {
      break;
    }
  }
  return i == start ? std::string_view::npos : i;
}

bool iequals(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view strip(std::string_view s) { return trim(s, Spaces::Strip); }

bool parse_int(std::string_view text, std::string& digits) {
  std::string_view s = trim(text, Spaces::Number);
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  std::string raw;
  size_t end = take_digits(s, i, raw);
  if (end != s.size()) return false;
  size_t nz = raw.find_first_not_of('0');
  digits.clear();
  if (nz == std::string::npos) {
    digits = "0";
  } else {
    if (neg) digits.push_back('-');
    digits.append(raw, nz, std::string::npos);
  }
  return true;
}

bool parse_float(std::string_view text, double& out) {
  std::string_view s = trim(text, Spaces::Number);
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  std::string_view word = s.substr(i);
  if (iequals(word, "inf") || iequals(word, "infinity")) {
    out = neg ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (iequals(word, "nan")) {
    out = neg ? -NAN : NAN;
    return true;
  }
  // Rebuild the number without underscores, then let strtod round it
  // correctly (the C locale is in force: hvym never calls setlocale).
  std::string clean;
  if (neg) clean.push_back('-');
  size_t j = take_digits(s, i, clean);
  bool whole = j != std::string_view::npos;
  if (!whole) j = i;
  bool frac = false;
  if (j < s.size() && s[j] == '.') {
    clean.push_back('.');
    size_t k = take_digits(s, j + 1, clean);
    frac = k != std::string_view::npos;
    j = frac ? k : j + 1;
  }
  if (!whole && !frac) return false;
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
    clean.push_back('e');
    ++j;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) clean.push_back(s[j++]);
    j = take_digits(s, j, clean);
    if (j == std::string_view::npos) return false;
  }
  if (j != s.size()) return false;
  errno = 0;
  char* endp = nullptr;
  out = std::strtod(clean.c_str(), &endp);
  return endp == clean.c_str() + clean.size();
}

bool parse_bool(std::string_view text, bool& out) {
  std::string_view s = strip(text);
  static constexpr std::string_view yes[] = {"1", "true", "t", "yes", "y", "on"};
  static constexpr std::string_view no[] = {"0", "false", "f", "no", "n", "off"};
  for (auto w : yes)
    if (iequals(s, w)) return out = true, true;
  for (auto w : no)
    if (iequals(s, w)) return out = false, true;
  return false;
}

size_t float_repr(double v, char* buf) {
  if (std::isnan(v)) return std::memcpy(buf, "nan", 3), 3;
  if (std::isinf(v)) {
    if (v < 0) return std::memcpy(buf, "-inf", 4), 4;
    return std::memcpy(buf, "inf", 3), 3;
  }
  // Shortest round-trip digits in scientific form, e.g. "-1.2345e+02".
  char sci[kFloatBuf];
  auto res = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  const char* p = sci;
  char* o = buf;
  if (*p == '-') *o++ = *p++;
  char digits[20];
  size_t nd = 0;
  for (; *p != 'e'; ++p)
    if (*p != '.') digits[nd++] = *p;
  int exp = 0;
  std::from_chars(p + (p[1] == '+' ? 2 : 1), res.ptr, exp);

  if (exp < -4 || exp >= 16) {
    *o++ = digits[0];
    if (nd > 1) {
      *o++ = '.';
      std::memcpy(o, digits + 1, nd - 1);
      o += nd - 1;
    }
    *o++ = 'e';
    *o++ = exp < 0 ? '-' : '+';
    int a = exp < 0 ? -exp : exp;
    if (a < 10) *o++ = '0';
    o = std::to_chars(o, o + 4, a).ptr;
  } else {
    int point = exp + 1;  // digits before the decimal point
    if (point <= 0) {
      *o++ = '0';
      *o++ = '.';
      std::memset(o, '0', static_cast<size_t>(-point));
      o += -point;
      std::memcpy(o, digits, nd);
      o += nd;
    } else if (static_cast<size_t>(point) >= nd) {
      std::memcpy(o, digits, nd);
      o += nd;
      std::memset(o, '0', static_cast<size_t>(point) - nd);
      o += static_cast<size_t>(point) - nd;
      *o++ = '.';
      *o++ = '0';
    } else {
      std::memcpy(o, digits, static_cast<size_t>(point));
      o += point;
      *o++ = '.';
      std::memcpy(o, digits + point, nd - static_cast<size_t>(point));
      o += nd - static_cast<size_t>(point);
    }
  }
  return static_cast<size_t>(o - buf);
}

size_t json_float(double v, char* buf) {
  if (std::isnan(v)) return std::memcpy(buf, "NaN", 3), 3;
  if (std::isinf(v)) {
    if (v < 0) return std::memcpy(buf, "-Infinity", 9), 9;
    return std::memcpy(buf, "Infinity", 8), 8;
  }
  return float_repr(v, buf);
}

}  // namespace hvym::py
