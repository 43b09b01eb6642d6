#include "cli/batch.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using hvym::batch::json_error_offset;

TEST_CASE("json_error_offset names where a JSON text goes wrong") {
  // The byte offset of the fault (past a token's part that still fits).
  CHECK(json_error_offset(R"([{"cmd": "check"}, {"cmd" "check"}])") == 26);  // missing colon
  CHECK(json_error_offset(R"({"cmd": )") == 8);                               // ends in an object
  CHECK(json_error_offset("[1 2]") == 3);                                     // missing comma
  CHECK(json_error_offset("[1,]") == 3);
  CHECK(json_error_offset("[tru]") == 1);
  CHECK(json_error_offset("[1, -]") == 5);  // a sign and no digit
  CHECK(json_error_offset(R"(["ok", "b\q"])") == 10);  // a bad escape
  CHECK(json_error_offset(R"({"k\q": 1})") == 4);      // in a key
  CHECK(json_error_offset(R"({"k\q" 1})") == 4);
  CHECK(json_error_offset("[\"a\x01\"]") == 3);       // a control character
  CHECK(json_error_offset(R"({"a": 1 "b": 2, "c": "open)") == 8);  // before an open string
  CHECK(json_error_offset(R"(["open)") == 6);                      // else its end
  CHECK(json_error_offset("[1] x") == 4);  // what follows the value
  CHECK(json_error_offset("1 2") == 2);
  CHECK(json_error_offset(" ]") == 1);
  CHECK(json_error_offset("") == 0);
  CHECK(json_error_offset("  ") == 2);
  CHECK(json_error_offset(std::string(1100, '[')) == 1000);  // too deep
}

TEST_CASE("json_error_offset finds no fault in valid JSON: the text's size") {
  std::vector<std::string> valid = {
      R"([{"cmd": "check", "args": ["a", 1, -2.5e3]}, ["x", "y\n"], {"t": true, "f": false, "n": null}])",
      "  {\"k\": \"\\u00e9\\uD83D\\uDE00 \xc3\xa9\"}\n",
      "[123456789012345678901234567890, -12345678901234567890123, 18446744073709551615, 1e-400]",
      "7", "\"s\"", "null", std::string(900, '[') + std::string(900, ']'),
  };
  for (const std::string& json : valid) {
    CAPTURE(json);
    CHECK(json_error_offset(json) == json.size());
  }
}
