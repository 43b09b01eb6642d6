// The system (sys.h) on Linux and macOS.
#include "platform/sys.h"

#include <fcntl.h>
#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#include <pthread.h>
#endif
#include <sys/utsname.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/random.h>
#endif

#include <cctype>

#include "platform/fs.h"

namespace hvym::sys {

std::string machine() {
  utsname u;
  if (uname(&u) != 0) return {};
  std::string m = u.machine;
  for (char& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return m;
}

Desktop desktop() {
#ifdef __APPLE__
  return Desktop::MacOS;
#else
  return Desktop::X11;  // Linux and the other POSIX systems: X11 or Wayland
#endif
}

const char* system_name() {
#ifdef __APPLE__
  return "darwin";
#else
  return "linux";
#endif
}

std::string local_share_dir() {
  std::string home = fs::home_dir();
  return home.empty() ? home : home + "/.local/share";
}

std::string executable_name(const char* name) { return name; }

char** program_args(int&, char** argv) { return argv; }

void raw_output() {}

void lean_threads() {
#if defined(__linux__) && defined(__GLIBC__)
  mallopt(M_ARENA_MAX, 4);
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) == 0) {
    pthread_attr_setstacksize(&attr, size_t{1} << 20);
    pthread_setattr_default_np(&attr);
    pthread_attr_destroy(&attr);
  }
#endif
}

bool utc_time(std::time_t t, std::tm& out) { return gmtime_r(&t, &out) != nullptr; }

bool random_bytes(void* buf, size_t n) {
#ifdef __linux__
  return getrandom(buf, n, 0) == static_cast<ssize_t>(n);
#else
  arc4random_buf(buf, n);
  return true;
#endif
}

}  // namespace hvym::sys
