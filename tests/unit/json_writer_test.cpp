#include "json/json_writer.h"
#include "json/pyjson.h"

#include "vectors.h"

using namespace hvym;

namespace {

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
    // Read back through PyJson, as the commands read their JSON.
    PyJson doc;
    std::string error;
    REQUIRE(doc.parse(simdjson::to_string(e["doc"]), error));
    std::string got;
    {
      StringSink sink(got);
      JsonWriter w(sink, indent);
      doc.write(w, doc.root());
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
