// hvym: the shell (src/cli) with every command of commands/.
#include "cli/dispatch.h"
#include "cli/table.h"
#include "commands/all.h"
#include "platform/sys.h"
#ifdef _WIN32
#include <cstring>

#include "platform/window.h"
#endif

int main(int argc, char** argv) {
#ifdef _WIN32
  // hvym.exe started as its own dialog program (platform/window.h)
  if (argc > 1 && std::strcmp(argv[1], hvym::window::kDialogMode) == 0) return hvym::window::dialog_main();
#endif
  argv = hvym::sys::program_args(argc, argv);
  hvym::use_commands(hvym::commands::all());
  return hvym::dispatch(argc, argv);
}
