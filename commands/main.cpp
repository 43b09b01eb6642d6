// hvym: the shell (src/cli) with every command of commands/.
#include "cli/dispatch.h"
#include "cli/table.h"
#include "commands/all.h"
#include "platform/sys.h"
#include "platform/window.h"

int main(int argc, char** argv) {
  // Windows: hvym.exe started as its own dialog program (platform/window.h)
  if (int status = hvym::window::dialog_mode(argc, argv); status >= 0) return status;
  argv = hvym::sys::program_args(argc, argv);
  hvym::use_commands(hvym::commands::all());
  return hvym::dispatch(argc, argv);
}
