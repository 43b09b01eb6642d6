#include "net/gateway.h"

#include <simdjson.h>

#include "json/json_writer.h"
#include "store/paths.h"

namespace hvym {

std::string gateway_data_dir(std::string& error) {
  std::string dir = data_dir();
  if (dir.empty()) {
    error = "no data folder: set HOME or HVYM_HOME";
    return "";
  }
  std::string volume = dir + "/pintheon_data";
  return make_dirs(volume, 0700, error) ? volume : "";
}

std::string container_spec(const Config& cfg, const std::string& volume) {
  std::string port(cfg.get(Key::PintheonPort));
  std::string spec;
  {
    StringSink sink(spec);
    JsonWriter w(sink);
    w.begin_object();
    w.key("Image");
    w.string(image_ref(cfg));
    w.key("ExposedPorts");
    w.begin_object();
    for (const std::string& p : {port, std::string("9999")}) {
      w.key(p + "/tcp");
      w.begin_object();
      w.end_object();
    }
    w.end_object();
    w.key("HostConfig");
    w.begin_object();
    w.key("Dns");
    w.begin_array();
    w.string("8.8.8.8");
    w.end_array();
    w.key("NetworkMode");
    w.string("bridge");
    w.key("PortBindings");
    w.begin_object();
    for (const std::string& p : {port, std::string("9999")}) {
      w.key(p + "/tcp");
      w.begin_array();
      w.begin_object();
      w.key("HostPort");
      w.string(p);
      w.end_object();
      w.end_array();
    }
    w.end_object();
    w.key("Binds");
    w.begin_array();
    w.string(volume + ":/home/pintheon/data");
    w.end_array();
    w.end_object();
    w.end_object();
  }
  return spec;
}

ContainerState container_state(Engine& engine, EngineReply& reply) {
  reply = engine.get(std::string("/containers/") + kContainer + "/json");
  if (reply.reached && reply.status == 404) return ContainerState::Missing;
  if (!reply.ok()) {
    if (reply.reached && reply.message.empty()) reply.message = "status " + std::to_string(reply.status);
    return ContainerState::Unknown;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  bool running = false;
  if (parser.parse(reply.body).get(e) != simdjson::SUCCESS ||
      e["State"]["Running"].get(running) != simdjson::SUCCESS) {
    reply.message = "the engine's description of " + std::string(kContainer) + " has no State.Running";
    return ContainerState::Unknown;
  }
  return running ? ContainerState::Running : ContainerState::Stopped;
}

bool create_container(Engine& engine, const Config& cfg, std::string& message) {
  std::string volume = gateway_data_dir(message);
  if (volume.empty()) return false;
  EngineReply r = engine.post(std::string("/containers/create?name=") + kContainer,
                              container_spec(cfg, volume));
  if (r.ok()) return true;
  message = r.message;
  if (r.reached && r.status == 404)
    message += " (the image is not here: hvym pintheon-setup pulls it)";
  return false;
}

}  // namespace hvym
