#include "net/docker.h"


#include <cstdlib>

#include "net/docker_endpoint.h"
#include "net/engine_follow.h"
#include "net/http.h"
#include "store/paths.h"
#include "platform/fs.h"
#include "platform/process.h"

namespace hvym {
namespace {

constexpr int kEngineBoundMs = 1000;
constexpr int kCliBoundMs = 3000;

}  // namespace

DockerCli find_docker_cli() {
  DockerCli cli;
  cli.path = find_in_path("docker");
  fs::FileId id;
  if (cli.path.empty() || !fs::file_id(cli.path, id)) return {};
  // Links are followed: device and inode name the file the path resolves to.
  cli.identity = cli.path + " " + std::to_string(id.dev) + ":" + std::to_string(id.ino) + " " +
                 std::to_string(id.size) + " " + std::to_string(id.mtime_ns / 1000000000) + "." +
                 std::to_string(id.mtime_ns % 1000000000);
  return cli;
}

std::optional<bool> docker_version_ok(const std::string& path) {
  Conversation r = run_capture({path, "--version"}, kCliBoundMs);
  // Not started (EAGAIN under a process limit), out of time, stopped or
  // killed: no answer about this binary, only about this moment.
  if (!r.started || r.timed_out || r.cancelled || r.status < 0) return std::nullopt;
  return r.out.find("Docker version") != std::string::npos || r.out.find("podman version") != std::string::npos;
}

std::string engine_socket() { return docker_endpoint().socket; }

bool image_exists(const std::string& image, Sink& err) {
  std::string socket = engine_socket();
  if (!socket.empty()) {
    // Inside serve, while the engine's event stream is followed: known.
    uint64_t ticket = 0;
    if (std::optional<bool> known = engine_follow::image(socket, image, ticket)) return *known;
    HttpAnswer a = http_engine(socket, status_probe("/images/" + image + "/json", kEngineBoundMs));
    switch (a.state) {
      case HttpAnswer::Answered:
        if (a.status == 200 || a.status == 404) engine_follow::learned(socket, image, a.status == 200, ticket);
        return a.status == 200;
      case HttpAnswer::Absent:
      case HttpAnswer::Refused: return false;  // no engine
      case HttpAnswer::TimedOut:
        err.line("hvym: the Docker engine at " + socket + " did not answer within 1 s");
        return false;
      case HttpAnswer::Denied:
      case HttpAnswer::Failed: break;  // ask the CLI, which may know better
    }
  }
  std::string docker = find_in_path("docker");
  if (docker.empty()) return false;
  Conversation r = run_capture({docker, "image", "inspect", "--format", "{{.Id}}", image}, kCliBoundMs);
  return r.started && !r.timed_out && r.status == 0;
}

}  // namespace hvym
