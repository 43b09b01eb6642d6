#include "net/docker_endpoint.h"

#include <sodium.h>

#include <cstdlib>

#include "store/paths.h"
#include "platform/fs.h"
#include "platform/sys.h"
#include "platform/process.h"
#include "simdjson.h"

namespace hvym {
namespace {

constexpr size_t kMaxConfigFile = 1 << 20;  // config.json may hold registry logins; never more

std::string env(const char* name) {
  const char* v = env_get(name);  // a serve request's own, else ours
  return v ? std::string(v) : std::string();
}

// The docker CLI's configuration folder: $DOCKER_CONFIG, else ~/.docker.
std::string config_dir() {
  std::string dir = env("DOCKER_CONFIG");
  if (!dir.empty()) return dir;
  std::string home = fs::home_dir();
  return home.empty() ? std::string() : home + "/.docker";
}

// A small JSON file, parsed; false when absent, too large or not JSON.
bool read_json(const std::string& path, simdjson::dom::parser& parser, simdjson::dom::element& root) {
  std::string error;
  int fd = open_regular_file(path, error);
  if (fd < 0) return false;
  std::string text;
  bool read = fs::read_fd(fd, text, kMaxConfigFile);
  close_fd(fd);
  return read && parser.parse(text).get(root) == simdjson::SUCCESS;
}

std::string current_context(const std::string& dir, simdjson::dom::parser& parser) {
  simdjson::dom::element root;
  std::string_view name;
  if (dir.empty() || !read_json(dir + "/config.json", parser, root) ||
      root["currentContext"].get(name) != simdjson::SUCCESS)
    return {};
  return std::string(name);
}

// A context's endpoint: contexts/meta/SHA256(NAME)/meta.json, Endpoints.docker.Host.
std::string context_host(const std::string& dir, const std::string& name, simdjson::dom::parser& parser) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(name.data()), name.size());
  static const char hex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char c : digest) id += hex[c >> 4], id += hex[c & 15];
  simdjson::dom::element root;
  std::string_view host;
  if (dir.empty() || !read_json(dir + "/contexts/meta/" + id + "/meta.json", parser, root) ||
      root["Endpoints"]["docker"]["Host"].get(host) != simdjson::SUCCESS)
    return {};
  return std::string(host);
}

}  // namespace

DockerEndpoint docker_endpoint() {
  DockerEndpoint e;
  e.host = env("DOCKER_HOST");
  if (!e.host.empty()) {
    e.from = "DOCKER_HOST";
  } else {
    simdjson::dom::parser parser;
    std::string dir = config_dir();
    std::string name = env("DOCKER_CONTEXT");
    if (name.empty()) name = current_context(dir, parser);
    if (!name.empty() && name != "default") {
      e.host = context_host(dir, name, parser);
      e.from = "context " + name;
    }
  }
  if (e.host.empty() && sys::system_name()[0] == 'w') {  // Windows: Docker Desktop's pipe
    e.host = "npipe:////./pipe/docker_engine";
    e.from = e.from.empty() ? "default" : e.from + " (not found; the default)";
  }
  if (e.host.empty()) {
    // The default, then rootless Docker's, then podman's (user, then system).
    std::string run = env("XDG_RUNTIME_DIR");
    std::string candidates[] = {"/var/run/docker.sock", run.empty() ? "" : run + "/docker.sock",
                                run.empty() ? "" : run + "/podman/podman.sock", "/run/podman/podman.sock"};
    e.socket = candidates[0];
    for (const std::string& c : candidates)
      if (fs::is_socket(c)) {
        e.socket = c;
        break;
      }
    e.host = "unix://" + e.socket;
    if (e.from.empty()) e.from = "default";
    else e.from += " (not found; the default)";
    return e;
  }
  if (e.host.compare(0, 7, "unix://") == 0) e.socket = e.host.substr(7);
  if (e.host.compare(0, 8, "npipe://") == 0) {  // npipe:////./pipe/NAME is \\.\pipe\NAME
    e.socket = e.host.substr(8);
    for (char& c : e.socket)
      if (c == '/') c = '\\';
  }
  return e;
}

}  // namespace hvym
