// The unit tests' main: doctest's, with the shell given every command first
// (as hvym's own main does).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "cli/table.h"
#include "commands/all.h"

int main(int argc, char** argv) {
  hvym::use_commands(hvym::commands::all());
  return doctest::Context(argc, argv).run();
}
