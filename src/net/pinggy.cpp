#include "net/pinggy.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "store/paths.h"
#include "platform/fs.h"
#include "platform/sys.h"
#include "platform/process.h"

namespace hvym {
namespace {

// curl, its own progress bar on a terminal; false with a message.
bool download(const std::string& url, const std::string& to, Sink& err, std::string& error) {
  std::string curl = find_in_path("curl");
  if (curl.empty()) {
    error = "curl is needed to download pinggy (install the curl package)";
    return false;
  }
  bool tty = fs::is_terminal(2);
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
  std::string share = sys::local_share_dir();  // the original's pinggy folder
  if (share.empty()) return "";
  return share + "/pinggy/" + sys::executable_name("pinggy");
}

std::string find_pinggy() {
  std::string p = pinggy_installed_path();
  if (!p.empty() && can_execute(p)) return p;
  return find_in_path("pinggy");
}

std::string pinggy_url(const Config& cfg) {
  std::string machine = sys::machine();
  std::string arch = machine == "aarch64" || machine == "arm64" || machine.rfind("armv", 0) == 0
                         ? "arm64"
                         : "amd64";
  std::string base(cfg.get(Key::PinggyBaseUrl));
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + sys::system_name() + "/" + arch + "/" + sys::executable_name("pinggy");
}

std::string install_pinggy(const Config& cfg, Sink& err, std::string& error) {
  std::string path = pinggy_installed_path();
  if (path.empty()) {
    error = "no home folder (HOME, or USERPROFILE on Windows, is not set)";
    return "";
  }
  std::string dir = path.substr(0, path.find_last_of("/\\"));
  if (!make_dirs(dir, 0755, error)) return "";
  std::string tmp = dir + "/.pinggy.download-" + std::to_string(current_pid());
  std::string url = pinggy_url(cfg);
  if (!download(url, tmp, err, error)) {
    fs::remove_file(tmp);
    return "";
  }
  if (!fs::make_executable(tmp) || !fs::replace_file(tmp, path)) {
    error = "cannot install " + path + ": " + std::strerror(errno);
    fs::remove_file(tmp);
    return "";
  }
  return path;
}

}  // namespace hvym
