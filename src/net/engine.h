// The Docker Engine API for the gateway's lifecycle: pull with progress,
// inspect, create, start, stop, remove. Answers carry the engine's own
// message when it refuses.
#pragma once
#include <string>
#include <string_view>

#include "io/progress.h"

namespace hvym {

struct EngineReply {
  bool reached = false;  // the engine answered at all
  int status = 0;
  std::string body;
  std::string message;   // the engine's "message" (or what went wrong on the way)
  bool ok() const { return reached && status >= 200 && status < 300; }
};

class Engine {
 public:
  // The unix socket of DOCKER_HOST (unix://...), else /var/run/docker.sock.
  bool locate(std::string& error);
  const std::string& socket() const { return socket_; }

  EngineReply get(std::string_view path, int timeout_ms = 10000);
  EngineReply post(std::string_view path, std::string_view json = {}, int timeout_ms = 60000);
  EngineReply remove(std::string_view path, int timeout_ms = 30000);

  // POST /images/create for "REPO:TAG", its streamed progress drawn on
  // `progress`. ok() only when the stream carried no error.
  EngineReply pull(const std::string& image_ref, Progress& progress);

 private:
  EngineReply call(std::string_view method, std::string_view path, std::string_view body,
                   int timeout_ms);
  std::string socket_;
};

}  // namespace hvym
