#include "json/json_writer.h"

#include <charconv>

#include "json/pyconv.h"
#include "json/utf8.h"

namespace hvym {
namespace {

const char kHex[] = "0123456789abcdef";

void put_u(Sink& out, uint32_t unit) {
  char b[6] = {'\\', 'u', kHex[(unit >> 12) & 15], kHex[(unit >> 8) & 15],
               kHex[(unit >> 4) & 15], kHex[unit & 15]};
  out.write({b, 6});
}

}  // namespace

void write_json_string(Sink& out, std::string_view s) {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0, run = 0;  // run: start of plain bytes not yet written
  out.put('"');
  while (i < n) {
    unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.write(s.substr(run, i - run));
    size_t len = 1;
    switch (c) {
      case '"': out.write("\\\""); break;
      case '\\': out.write("\\\\"); break;
      case '\n': out.write("\\n"); break;
      case '\r': out.write("\\r"); break;
      case '\t': out.write("\\t"); break;
      case '\b': out.write("\\b"); break;
      case '\f': out.write("\\f"); break;
      default: {
        uint32_t cp;
        len = c < 0x80 ? 1 : utf8::decode(p + i, n - i, cp);
        if (c < 0x80) {
          put_u(out, c);
        } else if (len == 0) {
          put_u(out, 0xDC00 | c);  // surrogateescape
          len = 1;
        } else if (cp >= 0x10000) {
          cp -= 0x10000;
          put_u(out, 0xD800 | (cp >> 10));
          put_u(out, 0xDC00 | (cp & 0x3FF));
        } else {
          put_u(out, cp);
        }
      }
    }
    i += len;
    run = i;
  }
  out.write(s.substr(run, n - run));
  out.put('"');
}

void JsonWriter::newline_indent(size_t depth) {
  out_.put('\n');
  for (size_t i = 0; i < depth * static_cast<size_t>(indent_); ++i) out_.put(' ');
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (has_member_.empty()) return;
  if (has_member_.back()) out_.write(indent_ < 0 ? ", " : ",");
  has_member_.back() = true;
  if (indent_ >= 0) newline_indent(has_member_.size());
}

void JsonWriter::open(char c) {
  before_value();
  out_.put(c);
  has_member_.push_back(false);
}

void JsonWriter::close(char c) {
  bool any = has_member_.back();
  has_member_.pop_back();
  if (any && indent_ >= 0) newline_indent(has_member_.size());
  out_.put(c);
}

void JsonWriter::begin_object() { open('{'); }
void JsonWriter::end_object() { close('}'); }
void JsonWriter::begin_array() { open('['); }
void JsonWriter::end_array() { close(']'); }

void JsonWriter::key(std::string_view utf8) {
  before_value();
  write_json_string(out_, utf8);
  out_.write(": ");
  after_key_ = true;
}

void JsonWriter::string(std::string_view utf8) {
  before_value();
  write_json_string(out_, utf8);
}

void JsonWriter::boolean(bool v) {
  before_value();
  out_.write(v ? "true" : "false");
}

void JsonWriter::null() {
  before_value();
  out_.write("null");
}

void JsonWriter::number(double v) {
  before_value();
  char buf[py::kFloatBuf];
  out_.write({buf, py::json_float(v, buf)});
}

void JsonWriter::integer(int64_t v) {
  before_value();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.write({buf, static_cast<size_t>(r.ptr - buf)});
}

void JsonWriter::integer_text(std::string_view canonical_digits) {
  before_value();
  out_.write(canonical_digits);
}

void JsonWriter::raw(std::string_view json) {
  before_value();
  out_.write(json);
}

}  // namespace hvym
