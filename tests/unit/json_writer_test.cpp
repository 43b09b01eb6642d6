#include "json_writer.h"

#include "vectors.h"

using namespace hvym;

namespace {

// Writes a simdjson DOM value through JsonWriter, keys in document order.
void write_dom(JsonWriter& w, simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::OBJECT:
      w.begin_object();
      for (auto field : simdjson::dom::object(e)) {
        w.key(field.key);
        write_dom(w, field.value);
      }
      w.end_object();
      break;
    case element_type::ARRAY:
      w.begin_array();
      for (auto v : simdjson::dom::array(e)) write_dom(w, v);
      w.end_array();
      break;
    case element_type::STRING: w.string(std::string_view(e)); break;
    case element_type::INT64: w.integer(int64_t(e)); break;
    case element_type::UINT64: w.integer_text(std::to_string(uint64_t(e))); break;
    case element_type::DOUBLE: w.number(double(e)); break;
    case element_type::BOOL: w.boolean(bool(e)); break;
    case element_type::NULL_VALUE: w.null(); break;
  }
}

std::string dumps_string(std::string_view s) {
  std::string got;
  {
    StringSink sink(got);
    write_json_string(sink, s);
  }
  return got;
}

}  // namespace

TEST_CASE("json.dumps(str) with ensure_ascii, surrogate pairs and surrogateescape") {
  size_t n = test::for_each_vector("str", [](simdjson::dom::element e) {
    std::string_view hex, want;
    REQUIRE(e["hex"].get(hex) == simdjson::SUCCESS);
    REQUIRE(e["json"].get(want) == simdjson::SUCCESS);
    CAPTURE(hex);
    CHECK(dumps_string(test::from_hex(hex)) == want);
  });
  CHECK(n > 150);
}

TEST_CASE("whole documents, with and without indent, match json.dumps") {
  size_t n = test::for_each_vector("doc", [](simdjson::dom::element e) {
    std::string_view want;
    REQUIRE(e["json"].get(want) == simdjson::SUCCESS);
    int indent = -1;
    if (!e["indent"].is_null()) indent = int(int64_t(e["indent"]));
    std::string got;
    {
      StringSink sink(got);
      JsonWriter w(sink, indent);
      write_dom(w, e["doc"]);
    }
    CAPTURE(indent);
    CHECK(got == want);
  });
  CHECK(n > 300);
}

TEST_CASE("integers of any size are written as given") {
  std::string got;
  {
    StringSink sink(got);
    JsonWriter w(sink);
    w.begin_array();
    w.integer_text("123456789012345678901234567890");
    w.integer(-9223372036854775807 - 1);
    w.end_array();
  }
  CHECK(got == "[123456789012345678901234567890, -9223372036854775808]");
}
