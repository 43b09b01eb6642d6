// The Pintheon gateway container, as the original made it: named pintheon,
// DNS 8.8.8.8, the bridge network, ports PORT and 9999, a data volume.
#pragma once
#include <string>

#include "store/config.h"
#include "net/engine.h"

namespace hvym {

inline constexpr const char* kContainer = "pintheon";

// DATA/pintheon_data: the container's /home/pintheon/data (made if missing).
std::string gateway_data_dir(std::string& error);

// The create request's JSON for the configured image and port.
std::string container_spec(const Config& cfg, const std::string& volume);

enum class ContainerState { Missing, Stopped, Running, Unknown };
// What the engine says of the container (Unknown: the message is in reply).
ContainerState container_state(Engine& engine, EngineReply& reply);

// Creates the container; false with the engine's message.
bool create_container(Engine& engine, const Config& cfg, std::string& message);

}  // namespace hvym
