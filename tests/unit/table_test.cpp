#include <doctest/doctest.h>

#include <cstring>
#include <string_view>

#include "unit/command.h"
#include "unit/config_access.h"
#include "cli/table.h"
#include "cli/toplevel.h"

using namespace hvym;

TEST_CASE("the command table is sorted, unique and complete in its declarations") {
  auto table = command_table();
  REQUIRE(!table.empty());
  for (size_t i = 0; i < table.size(); ++i) {
    const Command& c = *table[i];
    CAPTURE(c.name);
    if (i) CHECK(std::strcmp(table[i - 1]->name, c.name) < 0);
    CHECK(c.summary != nullptr);
    CHECK(std::strlen(c.summary) > 0);
    CHECK(std::strchr(c.summary, '\n') == nullptr);
    CHECK(static_cast<bool>(c.run));
    CHECK(c.params.size() <= kMaxParams);
    CHECK(static_cast<size_t>(c.group) < kGroupCount);
    bool optional_seen = false;
    for (size_t i = 0; i < c.params.size(); ++i) {
      const Param& p = c.params[i];
      CHECK(p.name != nullptr);
      if (p.kind == Kind::Rest) {
        CHECK(i + 1 == c.params.size());  // it takes what is left: the last parameter
        CHECK(p.name[0] != '-');
      } else if (p.kind == Kind::Argument) {
        CHECK(p.name[0] != '-');
        if (optional_seen) CHECK(p.optional);  // optional arguments come last
        optional_seen |= p.optional;
      } else {
        CHECK(std::strncmp(p.name, "--", 2) == 0);
        if (p.alias) CHECK(p.alias[0] == '-');
      }
    }
  }
}

TEST_CASE("find_command finds every command and nothing else") {
  for (const Command* c : command_table()) CHECK(find_command(c->name) == c);
  CHECK(find_command("") == nullptr);
  CHECK(find_command("chec") == nullptr);
  CHECK(find_command("checks") == nullptr);
  CHECK(find_command("zzz") == nullptr);
  CHECK(find_command(std::string_view("check\0x", 7)) == nullptr);  // a NUL is no end
  CHECK(find_command(std::string_view("chec\0", 5)) == nullptr);
}

TEST_CASE("param() finds a parameter by its exact name, at compile time") {
  static constexpr Param params[] = {
      argument("max", Type::Int),
      {Kind::Option, Type::Bool, "--iridescent", "-i", nullptr, false},
      {Kind::Flag, Type::Bool, "--json", nullptr, nullptr, false},
  };
  static_assert(param(params, "max") == 0);
  static_assert(param(params, "--iridescent") == 1);
  static_assert(param(params, "--json") == 2);
  // param(params, "iridescent") or param(params, "-i") would not compile.
  constexpr size_t json = param(params, "--json");
  CHECK(json == 2);
}

TEST_CASE("edit distance") {
  CHECK(edit_distance("check", "check") == 0);
  CHECK(edit_distance("chek", "check") == 1);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

namespace {
int run_nothing(Call&) { return kOk; }
constexpr Command kUndeclared{"undeclared", Group{}, "writes without saying so", nullptr, {}, kReadsConfig,
                              run_nothing};
}  // namespace

TEST_CASE("a unit that did not declare a write gets an internal error and writes nothing") {
  std::string out, err;
  StringSink out_sink(out), err_sink(err);
  Call call{kUndeclared, "hvym undeclared", out_sink, err_sink, {}};
  bool ran = false;
  CHECK(write_config(call, [&] { return ran = true, kOk; }) == kFailed);
  CHECK(!ran);  // refused before any store is opened
  err_sink.flush();
  CHECK(err.find("internal error: undeclared writes the configuration without declaring it") != std::string::npos);
  err.clear();
  CHECK(!read_config(call));  // kReadsConfig without kMayPrompt: the dispatcher's read, not this
  err_sink.flush();
  CHECK(err.find("undeclared reads the configuration without declaring it") != std::string::npos);
  err.clear();
  CHECK(!cached(call, "docker_cli"));
  remember(call, "docker_cli", "x");
  err_sink.flush();
  CHECK(err.find("undeclared uses the cache without declaring it") != std::string::npos);
}
