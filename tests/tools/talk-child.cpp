// A child program for the unit tests of talk() and spawn_process()
// (tests/unit/process_test.cpp). It does what its arguments say, in order:
//   argv ARGS...   prints each of ARGS as LEN:BYTES and a line end; exits 0
//   echo           copies its standard input to its standard output
//   out N, err N   writes N bytes 'x' to standard output / error
//   sleep MS       sleeps
//   env NAME       prints NAME's value (or <unset>) and a line end
//   spawn ARGS... [then]  starts talk-child ARGS... (it inherits standard
//                  output and error), prints its pid and a line end, then
//                  goes on after "then"
//   exit CODE      exits with CODE
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "platform/process.h"

int main(int argc, char** argv) {
  using namespace hvym;
  for (int i = 1; i < argc; ++i) {
    std::string w = argv[i];
    if (w == "argv") {
      for (++i; i < argc; ++i) std::printf("%zu:%s\n", std::strlen(argv[i]), argv[i]);
      return 0;
    } else if (w == "echo") {
      char buf[16384];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) std::fwrite(buf, 1, n, stdout);
      std::fflush(stdout);
    } else if ((w == "out" || w == "err") && i + 1 < argc) {
      std::string x(std::strtoul(argv[++i], nullptr, 10), 'x');
      std::FILE* f = w == "out" ? stdout : stderr;
      std::fwrite(x.data(), 1, x.size(), f);
      std::fflush(f);
    } else if (w == "sleep" && i + 1 < argc) {
      sleep_ms(std::atoi(argv[++i]));
    } else if (w == "env" && i + 1 < argc) {
      const char* v = std::getenv(argv[++i]);
      std::printf("%s\n", v ? v : "<unset>");
      std::fflush(stdout);
    } else if (w == "spawn") {
      std::vector<std::string> args = {self_program()};
      for (++i; i < argc && std::strcmp(argv[i], "then") != 0; ++i) args.push_back(argv[i]);
      std::string error;
      long pid = spawn_process(args, {.out = SpawnSpec::Inherit}, error);
      if (pid < 0) return std::fprintf(stderr, "%s\n", error.c_str()), 2;
      std::printf("%ld\n", pid);
      std::fflush(stdout);
    } else if (w == "exit" && i + 1 < argc) {
      std::fflush(stdout);
      return std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "talk-child: what is %s?\n", w.c_str());
      return 2;
    }
  }
  return 0;
}
