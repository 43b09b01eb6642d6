// A client for `hvym serve` on Windows, for the tests under wine:
// `pipe-client NAME` connects to \\.\pipe\NAME (waiting up to 10 s for a
// free instance), then for each line of its standard input sends the line
// and prints the server's one-line answer; a line `#read N` sends nothing
// and prints the next N lines the server sends (a watch's notifications).
// `pipe-client NAME --hold MS` sends nothing and keeps the connection open
// that long. Exit 0 when every
// line was answered, 1 when it could not connect or the server left.
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string name = std::string("\\\\.\\pipe\\") + argv[1];
  HANDLE h = INVALID_HANDLE_VALUE;
  for (int tries = 0; tries < 100 && h == INVALID_HANDLE_VALUE; ++tries) {
    h = CreateFileA(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
      if (GetLastError() == ERROR_PIPE_BUSY) WaitNamedPipeA(name.c_str(), 100);
      else Sleep(100);
    }
  }
  if (h == INVALID_HANDLE_VALUE) {
    std::fprintf(stderr, "pipe-client: cannot open %s: error %lu\n", name.c_str(), GetLastError());
    return 1;
  }
  if (argc > 3 && std::strcmp(argv[2], "--hold") == 0) {
    Sleep(static_cast<DWORD>(std::atoi(argv[3])));
    CloseHandle(h);
    return 0;
  }
  std::string line, pending;
  while (std::getline(std::cin, line)) {
    int lines = 1;
    DWORD n = 0;
    if (line.rfind("#read ", 0) == 0) {
      lines = std::atoi(line.c_str() + 6);
    } else {
      line += '\n';
      if (!WriteFile(h, line.data(), static_cast<DWORD>(line.size()), &n, nullptr)) {
        std::fprintf(stderr, "pipe-client: cannot send: error %lu\n", GetLastError());
        return 1;
      }
    }
    for (; lines > 0; --lines) {
      char buf[65536];
      size_t nl;
      while ((nl = pending.find('\n')) == std::string::npos) {
        if (!ReadFile(h, buf, sizeof buf, &n, nullptr) || n == 0) {
          std::fprintf(stderr, "pipe-client: the server left: error %lu\n", GetLastError());
          return 1;
        }
        pending.append(buf, n);
      }
      std::fwrite(pending.data(), 1, nl + 1, stdout);
      std::fflush(stdout);
      pending.erase(0, nl + 1);
    }
  }
  CloseHandle(h);
  return 0;
}
