// Python's own conversions, reproduced exactly where hvym's output depends on
// them: int(), float(), repr(float), str.strip(), and Click's boolean words.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace hvym::py {

// int(text), base 10: surrounding whitespace, one sign, '_' between digits,
// any size. On success `digits` is the canonical form ("-12", "0").
bool parse_int(std::string_view text, std::string& digits);

// float(text): decimal forms with '_' between digits, inf/infinity/nan in any
// case, surrounding whitespace; out-of-range values become inf or 0.0.
bool parse_float(std::string_view text, double& out);

// Click's boolean type: strip, lower-case, then 1/true/t/yes/y/on or
// 0/false/f/no/n/off.
bool parse_bool(std::string_view text, bool& out);

// Buffer size that fits any result of float_repr or json_float.
inline constexpr size_t kFloatBuf = 32;

// repr(v): shortest round-trip digits, '.0' or exponent always present,
// exponent form below 1e-4 and from 1e16. inf, -inf, nan as Python spells
// them. Returns the length written to buf.
size_t float_repr(double v, char* buf);

// The form json.dumps gives a float: repr, but Infinity, -Infinity, NaN.
size_t json_float(double v, char* buf);

// str.strip(): removes Unicode whitespace (Python's definition) at both ends.
std::string_view strip(std::string_view s);

}  // namespace hvym::py
