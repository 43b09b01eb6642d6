#include "json/pyconv.h"

#include <cstring>

#include "vectors.h"

using namespace hvym;

TEST_CASE("repr(float) and json.dumps(float) match Python for every vector") {
  size_t n = test::for_each_vector("repr", [](simdjson::dom::element e) {
    std::string_view bits, repr, json;
    REQUIRE(e["bits"].get(bits) == simdjson::SUCCESS);
    REQUIRE(e["repr"].get(repr) == simdjson::SUCCESS);
    REQUIRE(e["json"].get(json) == simdjson::SUCCESS);
    uint64_t u = std::stoull(std::string(bits), nullptr, 16);
    double x;
    std::memcpy(&x, &u, sizeof x);
    char buf[py::kFloatBuf];
    CAPTURE(bits);
    CHECK(std::string_view(buf, py::float_repr(x, buf)) == repr);
    CHECK(std::string_view(buf, py::json_float(x, buf)) == json);
  });
  CHECK(n > 400);
}

TEST_CASE("int() accepts and canonicalises like Python") {
  size_t n = test::for_each_vector("int", [](simdjson::dom::element e) {
    std::string_view input;
    REQUIRE(e["input"].get(input) == simdjson::SUCCESS);
    CAPTURE(input);
    std::string digits;
    bool ok = py::parse_int(input, digits);
    std::string_view want;
    if (e["out"].is_null()) {
      // Non-ASCII decimal digits are the one known difference (docs/compatibility.md).
      if (input.find("\xd9") != std::string_view::npos) return;
      CHECK_FALSE(ok);
    } else {
      REQUIRE(e["out"].get(want) == simdjson::SUCCESS);
      if (input.find("\xd9") != std::string_view::npos) return;
      CHECK(ok);
      CHECK(digits == want);
    }
  });
  CHECK(n > 50);
}

TEST_CASE("float() accepts and rounds like Python") {
  size_t n = test::for_each_vector("float", [](simdjson::dom::element e) {
    std::string_view input;
    REQUIRE(e["input"].get(input) == simdjson::SUCCESS);
    CAPTURE(input);
    if (input.find("\xd9") != std::string_view::npos) return;  // Arabic-Indic digits
    double x = 0;
    bool ok = py::parse_float(input, x);
    if (e["out"].is_null()) {
      CHECK_FALSE(ok);
    } else {
      std::string_view want;
      REQUIRE(e["out"].get(want) == simdjson::SUCCESS);
      REQUIRE(ok);
      char buf[py::kFloatBuf];
      CHECK(std::string_view(buf, py::float_repr(x, buf)) == want);
    }
  });
  CHECK(n > 80);
}

TEST_CASE("Click's boolean words") {
  size_t n = test::for_each_vector("bool", [](simdjson::dom::element e) {
    std::string_view input;
    REQUIRE(e["input"].get(input) == simdjson::SUCCESS);
    CAPTURE(input);
    bool v = false;
    bool ok = py::parse_bool(input, v);
    if (e["out"].is_null()) {
      CHECK_FALSE(ok);
    } else {
      bool want;
      REQUIRE(e["out"].get(want) == simdjson::SUCCESS);
      CHECK(ok);
      CHECK(v == want);
    }
  });
  CHECK(n > 30);
}

TEST_CASE("str.strip() removes Python's whitespace, including U+001C..U+001F") {
  CHECK(py::strip("\x1c\t yes \xe3\x80\x80") == "yes");
  CHECK(py::strip("\xc2\xa0x\xe2\x80\xa8") == "x");
  CHECK(py::strip("\xff ") == "\xff");  // an invalid byte is not space
  CHECK(py::strip("") == "");
}
