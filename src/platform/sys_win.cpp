// The system (sys.h) on Windows.
#include "platform/sys.h"

#include <fcntl.h>
#include <io.h>
#include <windows.h>
#include <shellapi.h>

#include <string>
#include <vector>

#include "platform/fs.h"
#include "platform/win_text.h"

namespace hvym::sys {

std::string machine() {
  SYSTEM_INFO info;
  GetNativeSystemInfo(&info);
  switch (info.wProcessorArchitecture) {
    case PROCESSOR_ARCHITECTURE_AMD64: return "amd64";  // Python: platform.machine() == "AMD64"
    case PROCESSOR_ARCHITECTURE_ARM64: return "arm64";
    case PROCESSOR_ARCHITECTURE_INTEL: return "x86";
    default: return {};
  }
}

Desktop desktop() { return Desktop::Windows; }

const char* system_name() { return "windows"; }

std::string local_share_dir() {
  std::string home = fs::home_dir();
  return home.empty() ? home : home + "\\AppData\\Local";
}

std::string executable_name(const char* name) { return std::string(name) + ".exe"; }

char** program_args(int& argc, char** argv) {
  std::vector<std::wstring> wargv = split_command_line(GetCommandLineW());
  // Lives as long as the process: the strings back every argv pointer.
  static std::vector<std::string> strings;
  static std::vector<char*> pointers;
  strings.reserve(wargv.size());
  for (const std::wstring& w : wargv) strings.push_back(narrow(w));
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  argc = static_cast<int>(strings.size());
  (void)argv;
  return pointers.data();
}

void raw_output() {
  _setmode(1, _O_BINARY);
  _setmode(2, _O_BINARY);
}

void lean_threads() {}  // std::thread's stacks are 1 MiB already; one heap

bool utc_time(std::time_t t, std::tm& out) { return gmtime_s(&out, &t) == 0; }

bool random_bytes(void* buf, size_t n) {
  using Gen = BOOLEAN(WINAPI*)(PVOID, ULONG);  // RtlGenRandom (advapi32's SystemFunction036)
  HMODULE lib = LoadLibraryW(L"advapi32.dll");
  auto gen = lib ? reinterpret_cast<Gen>(reinterpret_cast<void*>(GetProcAddress(lib, "SystemFunction036"))) : nullptr;
  return gen && gen(buf, static_cast<ULONG>(n));
}

}  // namespace hvym::sys
