// Streams JSON exactly as Python's json.dumps prints it with its defaults
// (ensure_ascii, separators ", " and ": "), or with indent=N.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "io/sink.h"

namespace hvym {

class JsonWriter {
 public:
  // indent < 0: one line, like json.dumps(x); indent >= 0: json.dumps(x, indent=N).
  explicit JsonWriter(Sink& out, int indent = -1) : out_(out), indent_(indent) {}

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  void key(std::string_view utf8);
  void string(std::string_view utf8);
  void boolean(bool v);
  void null();
  void number(double v);        // repr(float), Infinity/NaN as json.dumps
  void integer(int64_t v);
  void integer_text(std::string_view canonical_digits);  // an int of any size
  void raw(std::string_view json);  // a value already written by another JsonWriter

 private:
  void before_value();
  void open(char c);
  void close(char c);
  void newline_indent(size_t depth);

  Sink& out_;
  int indent_;
  // One entry per open container: whether it has a member yet.
  std::vector<bool> has_member_;
  bool after_key_ = false;
};

// Writes s as a JSON string literal with ensure_ascii escapes. Bytes that are
// not valid UTF-8 become \udcXX, as Python's surrogateescape shows them.
void write_json_string(Sink& out, std::string_view s);

}  // namespace hvym
