// Reads tests/data/pyjson-vectors.jsonl (answers Python gave) with simdjson.
#pragma once
#include <doctest/doctest.h>
#include <simdjson.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>

namespace hvym::test {

// Calls fn(line) for every vector of kind k; returns how many there were.
inline size_t for_each_vector(std::string_view kind,
                              const std::function<void(simdjson::dom::element)>& fn) {
  std::ifstream in(HVYM_TEST_DATA "/pyjson-vectors.jsonl");
  REQUIRE(in.good());
  simdjson::dom::parser parser;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    simdjson::dom::element e;
    REQUIRE(parser.parse(line).get(e) == simdjson::SUCCESS);
    std::string_view k;
    REQUIRE(e["k"].get(k) == simdjson::SUCCESS);
    if (k != kind) continue;
    ++n;
    fn(e);
  }
  return n;
}

inline std::string from_hex(std::string_view h) {
  std::string s;
  for (size_t i = 0; i + 1 < h.size(); i += 2) s.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return s;
}

}  // namespace hvym::test
