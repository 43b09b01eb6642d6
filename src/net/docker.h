// Docker without running docker where it can be avoided: the CLI's identity
// (to cache `docker --version`), and the Engine API on its unix socket.
#pragma once
#include <optional>
#include <string>

#include "io/sink.h"

namespace hvym {

struct DockerCli {
  std::string path;      // the `docker` found on PATH; empty when there is none
  std::string identity;  // path, device:inode, size and mtime of the file it resolves to
};
DockerCli find_docker_cli();

// `docker --version` says "Docker version", or "podman version" (Debian's
// podman-docker shim); bounded to 3 s. No answer (nullopt) when it could not
// start, ran out of time, was stopped or killed by a signal.
std::optional<bool> docker_version_ok(const std::string& path);

// The Engine API's unix socket (src/net/docker_endpoint.h); empty when the
// endpoint is another transport (tcp://, ssh://).
std::string engine_socket();

// Whether the image (e.g. "metavinci/x:latest") is in the engine: one GET
// /images/NAME/json (200 or 404) within about a second. When the socket
// cannot be used (a tcp:// host, permission denied) one `docker image
// inspect` decides. No engine: false at once. A hung engine: false after the
// bound, with a warning on err.
bool image_exists(const std::string& image, Sink& err);

}  // namespace hvym
