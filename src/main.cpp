#include "cli/dispatch.h"
#include "platform/sys.h"

int main(int argc, char** argv) {
  argv = hvym::sys::program_args(argc, argv);
  return hvym::dispatch(argc, argv);
}
