// The GUI's most frequent questions about the machine: is Docker there, is
// the Pintheon image there, is the tunnel open, and all of it at once.
// None runs `docker` to learn what a cache or one socket round trip can tell.
#include <thread>

#include "unit/command.h"
#include "unit/config_access.h"
#include "store/config.h"
#include "net/docker.h"
#include "net/http.h"
#include "platform/process.h"
#include "json/json_writer.h"

namespace hvym::commands {
namespace {

constexpr int kTunnelBoundMs = 1000;
constexpr std::string_view kCacheName = "docker_cli";

// What the cache knows about this docker binary, when it knows.
std::optional<bool> cached_docker(const Call& call, const DockerCli& cli) {
  auto v = cached(call, kCacheName);
  if (!v || v->size() != cli.identity.size() + 2 || v->substr(0, cli.identity.size()) != cli.identity)
    return std::nullopt;
  return v->back() == '1';
}

// Runs `docker --version` and remembers a definite answer for this binary
// (one that could not be had, a timeout or no process, is False now and
// asked again next time).
bool probe_and_remember(Call& call, const DockerCli& cli) {
  std::optional<bool> ok = docker_version_ok(cli.path);
  if (ok) remember(call, kCacheName, cli.identity + "\n" + (*ok ? "1" : "0"));
  return ok.value_or(false);
}

int docker_installed_run(Call& call) {
  DockerCli cli = find_docker_cli();
  std::optional<bool> answer;
  if (!cli.path.empty()) answer = cached_docker(call, cli);
  if (!answer) {
    end_read(call);  // before docker --version
    answer = !cli.path.empty() && probe_and_remember(call, cli);
  }
  call.out.line(*answer ? "True" : "False");
  return kOk;
}

int image_exists_run(Call& call) {
  call.out.line(image_exists(image_ref(call.config()), call.err) ? "True" : "False");
  return kOk;
}

int tunnel_open_run(Call& call) {
  auto port = static_cast<uint16_t>(std::stoi(std::string(call.config().get(Key::PinggyDebuggerPort))));
  HttpAnswer a = http_get_loopback(port, "/", kTunnelBoundMs);
  call.out.line(a.state == HttpAnswer::Answered && a.status == 200 ? "true" : "false");
  return kOk;
}

int stats_run(Call& call) {
  // Config values and the cache from the call's one read, ended before the
  // probes run (a miss writes the cache in a session of its own).
  const Config& cfg = call.config();
  std::string network(first_of(cfg.get(Key::PintheonNetworks))), token(cfg.get(Key::PinggyToken)),
      tier(first_of(cfg.get(Key::PinggyTiers))), image = image_ref(cfg);
  DockerCli cli = find_docker_cli();
  std::optional<bool> docker = cli.path.empty() ? std::optional<bool>(false) : cached_docker(call, cli);
  end_read(call);

  // With docker to probe, the two run side by side (the call costs the
  // slowest, not the sum); with the cache's answer, the engine alone, here
  // (a thread would cost more than the question: the GUI's poll).
  std::string engine_warning;
  bool has_image = false;
  {
    StringSink warn(engine_warning);
    if (docker) {
      has_image = image_exists(image, warn);
    } else {
      const std::vector<std::string>* env = thread_env();  // a serve request's DOCKER_HOST, ...
      std::thread engine([&] {
        set_thread_env(env);
        has_image = image_exists(image, warn);
      });
      docker = probe_and_remember(call, cli);
      engine.join();
    }
  }
  call.err.write(engine_warning);

  JsonWriter w(call.out, 2);
  w.begin_object();
  w.key("docker_installed");
  w.boolean(*docker);
  w.key("pintheon_image_exists");
  w.boolean(has_image);
  w.key("pintheon_network");
  w.string(network);
  w.key("pinggy_token");
  w.string(token);
  w.key("pinggy_tier");
  w.string(tier);
  w.end_object();
  call.out.put('\n');
  return kOk;
}

}  // namespace

extern constinit const Command docker_installed{
    .name = "docker-installed",
    .group = Group::Probes,
    .summary = "Print True when a docker on the PATH says it is Docker (answer cached).",
    .help = "Print True when the docker on the PATH answers --version with \"Docker version\", "
            "else False. The answer is remembered for that binary (path, inode, size, mtime) "
            "and asked again only when it changes.",
    .params = {},
    .needs = kReadsConfig | kWritesCache | kProbe | kInProcess,
    .run = docker_installed_run,
};

extern constinit const Command pintheon_image_exists{
    .name = "pintheon-image-exists",
    .group = Group::Probes,
    .summary = "Print True when the Docker engine has the Pintheon image for the current network.",
    .help = "Print True when the Docker engine has metavinci/DAPP:latest (DAPP as pintheon-dapp "
            "prints it), else False. Asks the Engine API on DOCKER_HOST's unix socket (default "
            "/var/run/docker.sock) within about a second; docker image inspect when that socket "
            "cannot be used.",
    .params = {},
    .needs = kReadsConfig | kProbe | kInProcess,
    .run = image_exists_run,
};

extern constinit const Command is_pintheon_tunnel_open{
    .name = "is-pintheon-tunnel-open",
    .group = Group::Probes,
    .summary = "Print true when the Pinggy web debugger answers 200 on this machine.",
    .help = "Print true when http://127.0.0.1:PORT/ (the Pinggy web debugger; PORT is the "
            "pinggy_debugger_port setting, default 4300) answers 200 within a second, else false.",
    .params = {},
    .needs = kReadsConfig | kProbe | kInProcess,
    .run = tunnel_open_run,
};

extern constinit const Command installation_stats{
    .name = "installation-stats",
    .group = Group::Probes,
    .summary = "Print Docker, image and Pinggy status as one JSON object.",
    .help = "Print docker_installed, pintheon_image_exists, pintheon_network, pinggy_token and "
            "pinggy_tier as JSON (indent 2). The probes run side by side.",
    .params = {},
    .needs = kReadsConfig | kWritesCache | kProbe | kInProcess,
    .run = stats_run,
};

}  // namespace hvym::commands
