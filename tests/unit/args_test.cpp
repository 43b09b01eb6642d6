#include "unit/args.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace hvym;

namespace {

int noop(Call&) { return 0; }

constexpr Param kParams[] = {
    {Kind::Argument, Type::String, "color", nullptr, nullptr, false},
    {Kind::Argument, Type::Float, "level", nullptr, nullptr, false},
    {Kind::Argument, Type::Int, "count", nullptr, nullptr, true},
    {Kind::Option, Type::String, "--emissive", "-e", "Emissive colour", false},
    {Kind::Option, Type::Float, "--emissive-intensity", "-ei", nullptr, false},
    {Kind::Flag, Type::Bool, "--quiet", "-q", nullptr, false},
    {Kind::Option, Type::Bool, "--iridescent", "-i", nullptr, false},
};
constexpr Command kCmd{"paint", Group::Other, "Test command.", nullptr, kParams, 0, noop};

struct Result {
  Parsed parsed;
  std::string out, err;
  Call* call;
};

// Parses args for kCmd; the Call lives in `holder` so values can be read.
struct Harness {
  std::string out, err;
  StringSink out_sink{out}, err_sink{err};
  Call call{kCmd, "hvym paint", out_sink, err_sink, {}};

  Parsed parse(std::vector<const char*> args) {
    Parsed p = parse_args(call, args);
    out_sink.flush();
    err_sink.flush();
    return p;
  }
};

}  // namespace

TEST_CASE("arguments convert with Click's types") {
  Harness h;
  REQUIRE(h.parse({"#fff", " 1_0.5 ", "+007"}) == Parsed::Ok);
  CHECK(h.call[0].text == "#fff");
  CHECK(h.call[1].f == 10.5);
  CHECK(h.call[2].digits == "7");
  CHECK(h.call[2].i_fits);
  CHECK(h.call[2].i == 7);
  CHECK_FALSE(h.call[3].given);
  CHECK_FALSE(h.call[5].b);
}

TEST_CASE("an optional argument may be left out; a required one may not") {
  Harness a;
  CHECK(a.parse({"red", "1"}) == Parsed::Ok);
  CHECK_FALSE(a.call[2].given);
  Harness b;
  CHECK(b.parse({"red"}) == Parsed::Usage);
  CHECK(b.err.find("Error: Missing argument 'LEVEL'.") != std::string::npos);
  CHECK(b.err.find("Usage: hvym paint [OPTIONS] COLOR LEVEL [COUNT]") == 0);
  CHECK(b.out.empty());
}

TEST_CASE("numbers that start with '-' are arguments, not unknown options") {
  Harness h;
  REQUIRE(h.parse({"red", "-20.5", "-3"}) == Parsed::Ok);
  CHECK(h.call[1].f == -20.5);
  CHECK(h.call[2].digits == "-3");
  Harness inf;
  REQUIRE(inf.parse({"red", "1", "-inf"}) == Parsed::Usage);  // Click: -i with value "nf"
  CHECK(inf.err.find("'nf' is not a valid boolean") != std::string::npos);
}

TEST_CASE("options: long, alias, multi-letter alias, '=', attached short value") {
  Harness h;
  REQUIRE(h.parse({"-ei", "2.5", "red", "--emissive=#00f", "1", "-q"}) == Parsed::Ok);
  CHECK(h.call[4].f == 2.5);
  CHECK(h.call[3].text == "#00f");
  CHECK(h.call[5].b);
  Harness s;
  REQUIRE(s.parse({"-e#abc", "red", "1", "-ei=-1"}) == Parsed::Ok);
  CHECK(s.call[3].text == "#abc");
  CHECK(s.call[4].f == -1.0);
  Harness last;
  REQUIRE(last.parse({"red", "1", "-e", "a", "--emissive", "b"}) == Parsed::Ok);
  CHECK(last.call[3].text == "b");  // the last one wins
  Harness neg;
  REQUIRE(neg.parse({"red", "1", "-e", "-x"}) == Parsed::Ok);  // values may start with '-'
  CHECK(neg.call[3].text == "-x");
}

TEST_CASE("usage errors, in Click's words") {
  struct Case { std::vector<const char*> args; const char* message; };
  Case cases[] = {
      {{"red", "1", "--nope"}, "Error: No such option: --nope"},
      {{"red", "1", "-x"}, "Error: No such option: -x"},
      {{"red", "1", "-e"}, "Error: Option '-e' requires an argument."},
      {{"red", "1", "--quiet=yes"}, "Error: Option '--quiet' does not take a value."},
      {{"red", "one"}, "Error: Invalid value for 'LEVEL': 'one' is not a valid float."},
      {{"red", "1", "1.5"}, "Error: Invalid value for 'COUNT': '1.5' is not a valid integer."},
      {{"red", "1", "-i", "maybe"},
       "Error: Invalid value for '--iridescent' / '-i': 'maybe' is not a valid boolean."},
      {{"red", "1", "2", "x"}, "Error: Got unexpected extra argument (x)"},
      {{"red", "1", "2", "x", "y"}, "Error: Got unexpected extra arguments (x y)"},
  };
  for (const Case& c : cases) {
    Harness h;
    CAPTURE(c.message);
    CHECK(h.parse(c.args) == Parsed::Usage);
    CHECK(h.err.find(c.message) != std::string::npos);
    CHECK(h.err.find("Try 'hvym paint --help' for help.") != std::string::npos);
  }
}

TEST_CASE("'--' ends options; '-' alone is an argument") {
  Harness h;
  REQUIRE(h.parse({"--", "-e", "-1"}) == Parsed::Ok);
  CHECK(h.call[0].text == "-e");
  Harness d;
  REQUIRE(d.parse({"-", "1"}) == Parsed::Ok);
  CHECK(d.call[0].text == "-");
}

TEST_CASE("--help wins over missing arguments and lists every parameter") {
  Harness h;
  REQUIRE(h.parse({"--help"}) == Parsed::Help);
  CHECK(h.out.find("Usage: hvym paint [OPTIONS] COLOR LEVEL [COUNT]") == 0);
  CHECK(h.out.find("-ei, --emissive-intensity FLOAT") != std::string::npos);
  CHECK(h.out.find("-e, --emissive TEXT") != std::string::npos);
  CHECK(h.out.find("--help") != std::string::npos);
  CHECK(h.err.empty());
}

TEST_CASE("py_repr quotes like Python") {
  CHECK(py_repr("abc") == "'abc'");
  CHECK(py_repr("it's") == "\"it's\"");
  CHECK(py_repr("a'b\"c") == "'a\\'b\"c'");
  CHECK(py_repr("t\tn\n\x01") == "'t\\tn\\n\\x01'");
  CHECK(py_repr("\xce\xa9\xff") == "'\xce\xa9\\udcff'");
}
