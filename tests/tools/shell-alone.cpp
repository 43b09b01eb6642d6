// The shell (src/) linked without commands/: it must link and run on its
// own, with a table of no commands (the layers' test, tests/cli/test_layers.py).
#include "cli/dispatch.h"
#include "cli/table.h"

int main(int argc, char** argv) {
  hvym::use_commands({});
  return hvym::dispatch(argc, argv);
}
