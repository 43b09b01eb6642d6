// A stand-in Docker Engine API on a Windows named pipe, for the Windows
// tests under wine: `npipe-engine NAME [IMAGE-WORD]` answers GET
// /images/.../json with 200 when the path holds IMAGE-WORD (default
// "pintheon"), else 404, and /_ping with OK; one request per connection,
// until killed.
#include <windows.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string name = std::string("\\\\.\\pipe\\") + argv[1];
  std::string word = argc > 2 ? argv[2] : "pintheon";
  while (true) {
    HANDLE h = CreateNamedPipeA(name.c_str(), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE | PIPE_WAIT, PIPE_UNLIMITED_INSTANCES,
                                65536, 65536, 0, nullptr);
    if (h == INVALID_HANDLE_VALUE) return 1;
    std::printf("ready\n");
    std::fflush(stdout);
    if (!ConnectNamedPipe(h, nullptr) && GetLastError() != ERROR_PIPE_CONNECTED) {
      CloseHandle(h);
      continue;
    }
    std::string req;
    char buf[4096];
    DWORD n = 0;
    while (req.find("\r\n\r\n") == std::string::npos && ReadFile(h, buf, sizeof buf, &n, nullptr) && n > 0)
      req.append(buf, n);
    std::string line = req.substr(0, req.find("\r\n"));
    std::string status = "404 Not Found", body = "{\"message\":\"No such image\"}";
    if (line.find(" /_ping ") != std::string::npos) status = "200 OK", body = "OK";
    else if (line.find("/images/") != std::string::npos && line.find(word) != std::string::npos)
      status = "200 OK", body = "{\"Id\":\"sha256:0\"}";
    std::string answer = "HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    DWORD written = 0;
    WriteFile(h, answer.data(), static_cast<DWORD>(answer.size()), &written, nullptr);
    FlushFileBuffers(h);
    DisconnectNamedPipe(h);
    CloseHandle(h);
  }
}
