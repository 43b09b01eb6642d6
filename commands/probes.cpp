// The GUI's most frequent questions about the machine: is Docker there, is
// the Pintheon image there, is the tunnel open, and all of it at once.
// None runs `docker` to learn what a cache or one socket round trip can tell.
#include <thread>

#include "cli/command.h"
#include "store/config.h"
#include "net/docker.h"
#include "net/http.h"
#include "json/json_writer.h"

namespace hvym::commands {
namespace {

constexpr int kTunnelBoundMs = 1000;
constexpr std::string_view kCacheName = "docker_cli";

// What the cache knows about this docker binary, when it knows.
std::optional<bool> cached_docker(ConfigSession& session, const DockerCli& cli) {
  auto v = session.cached(kCacheName);
  if (!v || v->size() != cli.identity.size() + 2 || v->substr(0, cli.identity.size()) != cli.identity)
    return std::nullopt;
  return v->back() == '1';
}

// Runs `docker --version` and remembers the answer for this binary. A store
// that cannot be written only costs the next call the same work.
bool probe_and_remember(const DockerCli& cli) {
  bool ok = docker_version_ok(cli.path);
  std::string ignored;
  StringSink quiet(ignored);
  ConfigSession session;
  std::string error;
  if (session.open(true, quiet) &&
      session.remember(kCacheName, cli.identity + "\n" + (ok ? "1" : "0"), error))
    session.commit(quiet);
  return ok;
}

int docker_installed_run(Call& call) {
  DockerCli cli = find_docker_cli();
  std::optional<bool> answer;
  if (!cli.path.empty()) {
    ConfigSession session;
    if (!session.open(false, call.err)) return kFailed;
    answer = cached_docker(session, cli);
  }
  if (!answer) answer = !cli.path.empty() && probe_and_remember(cli);
  call.out.line(*answer ? "True" : "False");
  return kOk;
}

int image_exists_run(Call& call) {
  call.out.line(image_exists(image_ref(*call.config), call.err) ? "True" : "False");
  return kOk;
}

int tunnel_open_run(Call& call) {
  auto port = static_cast<uint16_t>(std::stoi(std::string(call.config->get(Key::PinggyDebuggerPort))));
  HttpAnswer a = http_get_loopback(port, "/", kTunnelBoundMs);
  call.out.line(a.state == HttpAnswer::Answered && a.status == 200 ? "true" : "false");
  return kOk;
}

int stats_run(Call& call) {
  // Config values and the cache from one read transaction, closed before
  // the probes run (a miss writes the cache in a session of its own).
  std::string network, token, tier, image;
  DockerCli cli = find_docker_cli();
  std::optional<bool> docker;
  {
    ConfigSession session;
    if (!session.open(false, call.err)) return kFailed;
    const Config& cfg = session.config();
    network = first_of(cfg.get(Key::PintheonNetworks));
    token = cfg.get(Key::PinggyToken);
    tier = first_of(cfg.get(Key::PinggyTiers));
    image = image_ref(cfg);
    docker = cli.path.empty() ? std::optional<bool>(false) : cached_docker(session, cli);
  }

  // The probes run side by side: the call costs the slowest, not the sum.
  std::string engine_warning;
  bool has_image = false;
  {
    StringSink warn(engine_warning);
    std::thread engine([&] { has_image = image_exists(image, warn); });
    if (!docker) docker = probe_and_remember(cli);
    engine.join();
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

extern const Command docker_installed, pintheon_image_exists, is_pintheon_tunnel_open,
    installation_stats;

constinit const Command docker_installed{
    .name = "docker-installed",
    .group = Group::Probes,
    .summary = "Print True when a docker on the PATH says it is Docker (answer cached).",
    .help = "Print True when the docker on the PATH answers --version with \"Docker version\", "
            "else False. The answer is remembered for that binary (path, inode, size, mtime) "
            "and asked again only when it changes.",
    .params = {},
    .needs = kProbe | kInProcess,  // opens its own sessions: read the cache, write it (a child in batch) on a miss
    .run = docker_installed_run,
};

constinit const Command pintheon_image_exists{
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

constinit const Command is_pintheon_tunnel_open{
    .name = "is-pintheon-tunnel-open",
    .group = Group::Probes,
    .summary = "Print true when the Pinggy web debugger answers 200 on this machine.",
    .help = "Print true when http://127.0.0.1:PORT/ (the Pinggy web debugger; PORT is the "
            "pinggy_debugger_port setting, default 4300) answers 200 within a second, else false.",
    .params = {},
    .needs = kReadsConfig | kProbe | kInProcess,
    .run = tunnel_open_run,
};

constinit const Command installation_stats{
    .name = "installation-stats",
    .group = Group::Probes,
    .summary = "Print Docker, image and Pinggy status as one JSON object.",
    .help = "Print docker_installed, pintheon_image_exists, pintheon_network, pinggy_token and "
            "pinggy_tier as JSON (indent 2). The probes run side by side.",
    .params = {},
    .needs = kProbe | kInProcess,  // its own read session, closed before the probes run
    .run = stats_run,
};

}  // namespace hvym::commands
