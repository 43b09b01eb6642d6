#include "pinggy.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "paths.h"
#include "process.h"

namespace hvym {
namespace {

// curl, its own progress bar on a terminal; false with a message.
bool download(const std::string& url, const std::string& to, Sink& err, std::string& error) {
  std::string curl = find_in_path("curl");
  if (curl.empty()) {
    error = "curl is needed to download pinggy (install the curl package)";
    return false;
  }
  bool tty = isatty(2) == 1;
  std::vector<std::string> args = {curl, "--fail", "--location", "--retry", "2",
                                   tty ? "--progress-bar" : "--silent", "--show-error",
                                   "--output", to, url};
  if (!tty) {
    err.line("downloading " + url);
    err.flush();
  }
  long pid = spawn_process(args, {.out = SpawnSpec::ToStderr}, error);  // curl's messages too
  if (pid < 0) return false;
  int status = wait_process(pid);
  if (status != 0) {
    error = "downloading " + url + " failed (curl exit " + std::to_string(status) + ")";
    return false;
  }
  return true;
}

}  // namespace

std::string pinggy_installed_path() {
  const char* home = std::getenv("HOME");
  if (!home || !*home) return "";
  return std::string(home) + "/.local/share/pinggy/pinggy";
}

std::string find_pinggy() {
  std::string p = pinggy_installed_path();
  if (!p.empty() && access(p.c_str(), X_OK) == 0) return p;
  return find_in_path("pinggy");
}

std::string pinggy_url(const Config& cfg) {
  utsname u;
  std::string machine = uname(&u) == 0 ? u.machine : "x86_64";
  std::string arch = machine == "aarch64" || machine == "arm64" || machine.rfind("armv", 0) == 0
                         ? "arm64"
                         : "amd64";
#ifdef __APPLE__
  const char* os = "darwin";
#else
  const char* os = "linux";
#endif
  std::string base(cfg.get(Key::PinggyBaseUrl));
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + os + "/" + arch + "/pinggy";
}

std::string install_pinggy(const Config& cfg, Sink& err, std::string& error) {
  std::string path = pinggy_installed_path();
  if (path.empty()) {
    error = "HOME is not set";
    return "";
  }
  std::string dir = path.substr(0, path.rfind('/'));
  if (!make_dirs(dir, 0755, error)) return "";
  std::string tmp = dir + "/.pinggy.download-" + std::to_string(getpid());
  std::string url = pinggy_url(cfg);
  if (!download(url, tmp, err, error)) {
    unlink(tmp.c_str());
    return "";
  }
  if (chmod(tmp.c_str(), 0755) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot install " + path + ": " + std::strerror(errno);
    unlink(tmp.c_str());
    return "";
  }
  return path;
}

}  // namespace hvym
