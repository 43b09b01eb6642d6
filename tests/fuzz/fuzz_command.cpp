// A libFuzzer target for one command: the input, split at NUL bytes, is its
// arguments; the command runs in-process exactly as the CLI runs it. With
// HVYM_FUZZ_FILE the input is instead a file whose path is the argument.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cli/dispatch.h"
#include "cli/table.h"
#include "commands/all.h"
#include "unit/command.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hvym::use_commands(hvym::commands::all());
  const hvym::Command* cmd = hvym::find_command(HVYM_FUZZ_COMMAND);
  if (!cmd) __builtin_trap();
  std::vector<std::string> args;
#ifdef HVYM_FUZZ_FILE
  int fd = memfd_create("fuzz", MFD_CLOEXEC);
  if (fd < 0 || write(fd, data, size) != static_cast<ssize_t>(size)) __builtin_trap();
  args.push_back("/proc/self/fd/" + std::to_string(fd));
#else
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t start = 0;
  while (args.size() < 15) {
    size_t nul = input.find('\0', start);
    args.push_back(input.substr(start, nul == std::string::npos ? nul : nul - start));
    if (nul == std::string::npos) break;
    start = nul + 1;
  }
#endif
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::string out, err;
  {
    hvym::StringSink o(out), e(err);
    hvym::run_command(*cmd, "hvym fuzz", argv, o, e);
  }
#ifdef HVYM_FUZZ_FILE
  close(fd);
#endif
  return 0;
}
