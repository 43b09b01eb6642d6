// run-in-process FILE [REPEAT]: runs the hvym command whose argv (command
// first) is NUL-separated in FILE, in this process, REPEAT times, and prints
// the median wall time in microseconds. For inputs no argv can carry
// (Linux limits one argument to 128 KiB), as `hvym batch` will run them.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/dispatch.h"
#include "cli/table.h"
#include "commands/all.h"
#include "unit/command.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: run-in-process FILE [REPEAT]\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  std::vector<std::string> parts;
  for (size_t start = 0; start < all.size();) {
    size_t nul = all.find('\0', start);
    parts.push_back(all.substr(start, nul - start));
    if (nul == std::string::npos) break;
    start = nul + 1;
  }
  hvym::use_commands(hvym::commands::all());
  const hvym::Command* cmd = parts.empty() ? nullptr : hvym::find_command(parts[0]);
  if (!cmd) {
    std::fprintf(stderr, "run-in-process: no command in %s\n", argv[1]);
    return 2;
  }
  std::vector<const char*> args;
  for (size_t i = 1; i < parts.size(); ++i) args.push_back(parts[i].c_str());
  int repeat = argc > 2 ? std::atoi(argv[2]) : 20;
  std::vector<double> us;
  size_t bytes = 0;
  for (int r = 0; r < repeat; ++r) {
    std::string out, err;
    auto t0 = std::chrono::steady_clock::now();
    int status;
    {
      hvym::StringSink o(out), e(err);
      status = hvym::run_command(*cmd, "hvym", args, o, e);
    }
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    if (status != 0) {
      std::fprintf(stderr, "run-in-process: exit %d: %s\n", status, err.c_str());
      return 1;
    }
    bytes = out.size();
  }
  std::sort(us.begin(), us.end());
  std::printf("%.0f %zu\n", us[us.size() / 2], bytes);
  return 0;
}
