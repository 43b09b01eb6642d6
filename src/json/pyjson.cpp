#include "json/pyjson.h"

#include "platform/sys.h"

#include <cmath>
#include <unordered_set>
#include <vector>

#include "json/pyconv.h"

namespace hvym {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Whether an integer literal fits the 64-bit integers simdjson keeps exactly.
bool fits_64(std::string_view digits, bool negative) {
  if (digits.size() < 19) return true;
  if (digits.size() > 20) return false;
  std::string_view limit = negative ? "9223372036854775808" : "18446744073709551615";
  if (digits.size() != limit.size()) return digits.size() < limit.size();
  return digits <= limit;
}

}  // namespace

bool py_isdigit(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

namespace {

// The placeholders' prefix: random, so no input spells it.
void make_nonce(std::string& nonce) {
  unsigned char r[8] = {};
  if (!sys::random_bytes(r, sizeof r)) r[0] = 1;
  static const char hex[] = "0123456789abcdef";
  nonce = "\x01hvym-number-";
  for (unsigned char c : r) nonce += hex[c >> 4], nonce += hex[c & 15];
  nonce += ':';
}

// Where the string literal opening at text[i] ends (past its closing quote;
// past the text when unclosed).
inline size_t string_end(std::string_view text, size_t i) {
  size_t j = i + 1;
  while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
  return j + 1;
}

// Where the number token at text[i] ends; is_float when it has a fraction
// or an exponent.
inline size_t number_end(std::string_view text, size_t i, bool& is_float) {
  size_t j = i + (text[i] == '-');
  while (j < text.size() && (is_digit(text[j]) || text[j] == '.' || text[j] == 'e' ||
                             text[j] == 'E' || text[j] == '+' || text[j] == '-')) {
    is_float |= text[j] == '.' || text[j] == 'e' || text[j] == 'E';
    ++j;
  }
  return j;
}

// Whether simdjson refuses a number token Python takes; then `shown` is the
// text json.dumps writes for it.
inline bool refused_number(std::string_view token, bool is_float, std::string& shown) {
  if (is_float) {
    // Beyond the double range: inf, or 0.0 for a non-zero literal.
    double d;
    bool nonzero = token.find_first_of("123456789") < token.find_first_of("eE");
    if (py::parse_float(token, d) && (std::isinf(d) || (d == 0 && nonzero))) {
      char buf[py::kFloatBuf];
      shown.assign(buf, py::json_float(d, buf));
      return true;
    }
    return false;
  }
  std::string digits;
  bool negative = token[0] == '-';
  if (!fits_64(token.substr(negative), negative) && py::parse_int(token, digits)) {
    shown = digits;
    return true;
  }
  return false;
}

// Appends the placeholder string standing for `shown`, and remembers it.
inline void put_placeholder(std::string& out, const std::string& nonce,
                            std::unordered_map<std::string, std::string>& specials, const std::string& shown) {
  // Decoded, the key starts with U+0001; in the text it is escaped.
  std::string key = nonce + std::to_string(specials.size());
  specials.emplace(key, shown);
  out += "\"\\u0001";
  out.append(key, 1, std::string::npos);
  out += '"';
}

// `text` into `out` with each literal simdjson refuses (NaN, Infinity,
// -Infinity, integers beyond 64 bits, floats beyond the double range)
// replaced by a placeholder string; false when there was none.
bool stand_in_refused(std::string_view text, const std::string& nonce,
                      std::unordered_map<std::string, std::string>& specials, std::string& out) {
  bool changed = false;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '"') {  // copy a string untouched
      size_t end = string_end(text, i);
      out.append(text.substr(i, std::min(end, text.size()) - i));
      i = end;
      continue;
    }
    std::string_view rest = text.substr(i);
    std::string shown;
    size_t len = 0;
    if (rest.substr(0, 3) == "NaN") shown = "NaN", len = 3;
    else if (rest.substr(0, 8) == "Infinity") shown = "Infinity", len = 8;
    else if (rest.substr(0, 9) == "-Infinity") shown = "-Infinity", len = 9;
    else if (c == '-' || is_digit(c)) {
      bool is_float = false;
      size_t j = number_end(text, i, is_float);
      std::string_view token = text.substr(i, j - i);
      if (!refused_number(token, is_float, shown)) {
        out.append(token);
        i = j;
        continue;
      }
      len = token.size();
    }
    if (len) {
      put_placeholder(out, nonce, specials, shown);
      i += len;
      changed = true;
      continue;
    }
    out += c;
    ++i;
  }
  return changed;
}

}  // namespace

bool PyJson::parse(std::string_view text, std::string& error) {
  specials_.clear();
  text_ = simdjson::padded_string(text);
  auto first = parser_.parse(text_).get(root_);
  if (!first) return true;

  // simdjson refuses what Python accepts: NaN, Infinity, -Infinity, integers
  // beyond 64 bits, floats beyond the double range. Stand each in for a
  // string no input can hold, and retry.
  if (nonce_.empty()) make_nonce(nonce_);
  std::string out;
  out.reserve(text.size() + 64);
  if (stand_in_refused(text, nonce_, specials_, out)) {
    text_ = simdjson::padded_string(out);
    if (!parser_.parse(text_).get(root_)) return true;
  }
  error = simdjson::error_message(first);
  return false;
}

std::optional<std::string_view> PyJson::special(JsonValue v) const {
  if (specials_.empty() || !v.is_string()) return std::nullopt;
  std::string_view s(v);
  if (s.substr(0, nonce_.size()) != nonce_) return std::nullopt;
  auto it = specials_.find(std::string(s));
  if (it == specials_.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::string_view PyJson::type_name(JsonValue v) const {
  using T = simdjson::dom::element_type;
  if (auto s = special(v)) return s->find_first_not_of("-0123456789") == std::string_view::npos ? "int" : "float";
  switch (v.type()) {
    case T::OBJECT: return "dict";
    case T::ARRAY: return "list";
    case T::STRING: return "str";
    case T::INT64:
    case T::UINT64: return "int";
    case T::DOUBLE: return "float";
    case T::BOOL: return "bool";
    case T::NULL_VALUE: return "NoneType";
  }
  return "object";
}

bool PyJson::truthy(JsonValue v) const {
  using T = simdjson::dom::element_type;
  if (special(v)) return true;  // NaN, infinities and huge integers are all true
  switch (v.type()) {
    case T::OBJECT: return simdjson::dom::object(v).size() != 0;
    case T::ARRAY: return simdjson::dom::array(v).size() != 0;
    case T::STRING: return !std::string_view(v).empty();
    case T::INT64: return int64_t(v) != 0;
    case T::UINT64: return uint64_t(v) != 0;
    case T::DOUBLE: return double(v) != 0;
    case T::BOOL: return bool(v);
    case T::NULL_VALUE: return false;
  }
  return false;
}

bool PyJson::equals(JsonValue v, std::string_view text) const {
  return is_str(v) && std::string_view(v) == text;
}

std::optional<JsonValue> PyJson::get(JsonValue dict, std::string_view key) const {
  std::optional<JsonValue> found;
  for (auto field : simdjson::dom::object(dict))
    if (field.key == key) found = field.value;  // the last one wins, as in a dict
  return found;
}

void PyJson::items(JsonValue dict, const std::function<void(std::string_view, JsonValue)>& fn) const {
  simdjson::dom::object obj(dict);
  // Keys once, at their first place; with their last value.
  std::vector<std::pair<std::string_view, JsonValue>> order;
  std::unordered_map<std::string_view, size_t> at;
  for (auto field : obj) {
    auto [it, fresh] = at.emplace(field.key, order.size());
    if (fresh) order.emplace_back(field.key, field.value);
    else order[it->second].second = field.value;
  }
  for (auto& [k, v] : order) fn(k, v);
}

bool PyJson::iterate(JsonValue v, const std::function<void(JsonValue, std::string_view)>& fn) const {
  if (v.is_array()) {
    for (JsonValue item : simdjson::dom::array(v)) fn(item, is_str(item) ? std::string_view(item) : "");
    return true;
  }
  if (is_str(v)) {
    std::string_view s(v);
    for (size_t i = 0; i < s.size();) {  // one character (code point) at a time
      size_t n = 1;
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c >= 0xF0) n = 4;
      else if (c >= 0xE0) n = 3;
      else if (c >= 0xC0) n = 2;
      fn(v, s.substr(i, n));  // the str itself stands for its character
      i += n;
    }
    return true;
  }
  return false;
}

void PyJson::write(JsonWriter& w, JsonValue v) const {
  using T = simdjson::dom::element_type;
  if (auto s = special(v)) return w.integer_text(*s);  // written as it stands
  switch (v.type()) {
    case T::OBJECT:
      w.begin_object();
      items(v, [&](std::string_view k, JsonValue value) {
        w.key(k);
        write(w, value);
      });
      w.end_object();
      break;
    case T::ARRAY:
      w.begin_array();
      for (JsonValue item : simdjson::dom::array(v)) write(w, item);
      w.end_array();
      break;
    case T::STRING: w.string(std::string_view(v)); break;
    case T::INT64: w.integer(int64_t(v)); break;
    case T::UINT64: w.integer_text(std::to_string(uint64_t(v))); break;
    case T::DOUBLE: w.number(double(v)); break;
    case T::BOOL: w.boolean(bool(v)); break;
    case T::NULL_VALUE: w.null(); break;
  }
}

std::string PyJson::dumps(JsonValue v) const {
  std::string s;
  {
    StringSink sink(s);
    JsonWriter w(sink);
    write(w, v);
  }
  return s;
}

}  // namespace hvym
