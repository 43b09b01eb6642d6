// What hvym asks of the system itself (sys_posix.cpp, sys_win.cpp).
#pragma once
#include <cstddef>
#include <ctime>
#include <string>

namespace hvym::sys {

// The CPU as Python's platform.machine().lower() names it ("x86_64",
// "aarch64"; "amd64" on Windows), "" when unknown.
std::string machine();
// The system as Python's platform.system().lower(): "linux", "darwin",
// "windows".
const char* system_name();
// The desktop questions and links go to: its dialog programs and its URL
// opener follow from it (the prompt layer, pintheon-open).
enum class Desktop { X11, MacOS, Windows };
Desktop desktop();
// Where per-user programs and data live: ~/.local/share on Linux and macOS
// (the original's choice on both), %USERPROFILE%\AppData\Local on Windows;
// "" without a home folder.
std::string local_share_dir();
// An executable's file name: name, or name.exe on Windows.
std::string executable_name(const char* name);
// The program's arguments as UTF-8 (Windows: from the wide command line;
// elsewhere argv itself). Called once, first thing in main().
char** program_args(int& argc, char** argv);
// A batch child's standard output and error carry bytes as they are
// (Windows: binary mode; its parent adds the line ends once).
void raw_output();

// A server's many threads (batch, serve): each thread's stack and malloc's
// per-thread arenas reserve address space that an address-space limit
// (prlimit --as) runs out of long before memory: smaller stacks (1 MiB,
// what hvym's units need with room) and few arenas (glibc); elsewhere nothing.
void lean_threads();
// gmtime_r.
bool utc_time(std::time_t t, std::tm& out);
// Bytes from the system's random source; false when it failed.
bool random_bytes(void* buf, size_t n);

}  // namespace hvym::sys
