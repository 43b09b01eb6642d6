// hvym: the shell (src/cli) with every command of commands/.
#include "cli/dispatch.h"
#include "cli/table.h"
#include "commands/all.h"
#include "platform/sys.h"

int main(int argc, char** argv) {
  argv = hvym::sys::program_args(argc, argv);
  hvym::use_commands(hvym::commands::all());
  return hvym::dispatch(argc, argv);
}
