// Where the Docker Engine API answers, found the way the docker CLI finds
// it: DOCKER_HOST, else the context named by DOCKER_CONTEXT or by
// "currentContext" in the CLI's config.json (its endpoint in the context's
// meta.json), else the first socket that exists of the default, rootless
// Docker's and podman's.
#pragma once
#include <string>

namespace hvym {

struct DockerEndpoint {
  std::string host;    // as configured: "unix:///run/docker.sock", "tcp://...", "ssh://..."
  std::string socket;  // the unix socket's path or the named pipe (\\.\pipe\NAME); empty for another transport
  std::string from;    // where it came from, for messages: "DOCKER_HOST", "context NAME", "default"
};

DockerEndpoint docker_endpoint();

}  // namespace hvym
