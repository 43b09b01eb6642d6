// JSON read the way Python's json.loads reads it, on top of simdjson's DOM:
// a repeated key keeps its first position and its last value; NaN, Infinity,
// -Infinity and integers of any size are accepted and written back as Python
// writes them; truthiness and equality follow Python.
#pragma once
#include <simdjson.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "json/json_writer.h"

namespace hvym {

using JsonValue = simdjson::dom::element;

class PyJson {
 public:
  PyJson() = default;
  PyJson(const PyJson&) = delete;
  PyJson& operator=(const PyJson&) = delete;

  // Parses text; false with a message (simdjson's) when Python would refuse it too.
  bool parse(std::string_view text, std::string& error);
  JsonValue root() const { return root_; }

  // What Python's type() of a value is, in words ("dict", "list", "str", "int",
  // "float", "bool", "NoneType"): for messages.
  std::string_view type_name(JsonValue v) const;
  bool is_dict(JsonValue v) const { return v.is_object(); }
  bool is_list(JsonValue v) const { return v.is_array(); }
  bool is_str(JsonValue v) const { return v.is_string() && !special(v); }
  bool is_none(JsonValue v) const { return v.is_null(); }

  // bool(v)
  bool truthy(JsonValue v) const;
  // v == "text" (False for anything that is not that str)
  bool equals(JsonValue v, std::string_view text) const;
  // d[key] for a dict (the last of repeated keys); nullopt when absent.
  std::optional<JsonValue> get(JsonValue dict, std::string_view key) const;
  // for k in d: fn(k, d[k]), repeated keys once, at their first place.
  void items(JsonValue dict, const std::function<void(std::string_view, JsonValue)>& fn) const;
  // What `for x in v` yields for a list (its items) or a str (its
  // characters, as one-character strs); false for anything else (dicts go
  // through items()).
  bool iterate(JsonValue v, const std::function<void(JsonValue key_or_item, std::string_view text)>& fn) const;

  // json.dumps of the value, into w; or as a string.
  void write(JsonWriter& w, JsonValue v) const;
  std::string dumps(JsonValue v) const;

 private:
  // A placeholder string standing for a number simdjson does not take:
  // the text json.dumps writes for it.
  std::optional<std::string_view> special(JsonValue v) const;
  simdjson::dom::parser parser_;
  simdjson::padded_string text_;
  JsonValue root_;
  std::string nonce_;
  std::unordered_map<std::string, std::string> specials_;  // placeholder -> output text
};

// str.isdigit() for the characters hvym meets (ASCII digits), and non-empty.
bool py_isdigit(std::string_view s);

}  // namespace hvym
