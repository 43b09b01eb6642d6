// The Pintheon gateway's lifecycle: setup (Pinggy, pull, create), start,
// stop, open. The mutating ones hold the data folder's lock, so two at once
// make one container.
#include <cstdlib>

#include "unit/args.h"
#include "unit/command.h"
#include "store/config.h"
#include "net/engine.h"
#include "net/gateway.h"
#include "store/paths.h"
#include "net/pinggy.h"
#include "platform/process.h"
#include "platform/sys.h"

namespace hvym::commands {
namespace {

bool open_engine(Call& call, Engine& engine) {
  std::string error;
  if (engine.locate(error)) return true;
  failure(call, error);
  return false;
}

int setup_run(Call& call) {
  const Config& cfg = call.config();
  int status = kOk;
  std::string error;
  if (find_pinggy().empty()) {
    std::string path = install_pinggy(cfg, call.err, error);
    if (path.empty()) {
      call.err.line("Error: cannot install pinggy: " + error + " (the tunnel needs it; "
                    "hvym pinggy-install retries)");
      status = kFailed;  // the gateway can still be set up
    } else {
      call.out.line("installed pinggy to " + path);
    }
  }
  Engine engine;
  if (!open_engine(call, engine)) return kFailed;
  std::string image = image_ref(cfg);
  Progress progress(call.err, "pulling " + image);
  EngineReply pulled = engine.pull(image, progress);
  if (!pulled.ok()) return failure(call, "cannot pull " + image + ": " + pulled.message);
  call.out.line("pulled " + image);
  EngineReply r;
  switch (container_state(engine, r)) {
    case ContainerState::Unknown: return failure(call, r.message);
    case ContainerState::Stopped:
    case ContainerState::Running:
      call.out.line(std::string("container ") + kContainer + " already exists");
      return status;
    case ContainerState::Missing: break;
  }
  if (!create_container(engine, cfg, error))
    return failure(call, std::string("cannot create container ") + kContainer + ": " + error);
  call.out.line(std::string("created container ") + kContainer);
  return status;
}

int start_run(Call& call) {
  Engine engine;
  if (!open_engine(call, engine)) return kFailed;
  EngineReply r;
  std::string error;
  switch (container_state(engine, r)) {
    case ContainerState::Unknown: return failure(call, r.message);
    case ContainerState::Running:
      call.out.line(std::string("container ") + kContainer + " is already running");
      return kOk;
    case ContainerState::Missing:
      if (!create_container(engine, call.config(), error))
        return failure(call, std::string("cannot create container ") + kContainer + ": " + error);
      call.out.line(std::string("created container ") + kContainer);
      break;
    case ContainerState::Stopped: break;
  }
  r = engine.post(std::string("/containers/") + kContainer + "/start");
  if (r.reached && r.status == 304) {  // started meanwhile by someone else
    call.out.line(std::string("container ") + kContainer + " is already running");
    return kOk;
  }
  if (!r.ok()) return failure(call, std::string("cannot start container ") + kContainer + ": " + r.message);
  call.out.line(std::string("started container ") + kContainer);
  return kOk;
}

int stop_run(Call& call) {
  Engine engine;
  if (!open_engine(call, engine)) return kFailed;
  // Asked first: engines differ in what stopping a stopped container answers.
  EngineReply r;
  switch (container_state(engine, r)) {
    case ContainerState::Unknown: return failure(call, r.message);
    case ContainerState::Missing:
      return failure(call, std::string("there is no container named ") + kContainer);
    case ContainerState::Stopped:
      call.out.line(std::string("container ") + kContainer + " is not running");
      return kOk;
    case ContainerState::Running: break;
  }
  r = engine.post(std::string("/containers/") + kContainer + "/stop");
  if (r.reached && r.status == 304) {
    call.out.line(std::string("container ") + kContainer + " is not running");
    return kOk;
  }
  if (!r.ok()) return failure(call, std::string("cannot stop container ") + kContainer + ": " + r.message);
  call.out.line(std::string("stopped container ") + kContainer);
  return kOk;
}

// Starts the opener detached; its exit is not waited for.
bool launch(const std::vector<std::string>& args) {
  std::string ignored;
  return spawn_process(args, {.out = SpawnSpec::Null, .detach = true}, ignored) > 0;
}

int open_run(Call& call) {
  std::string url = "https://127.0.0.1:" + std::string(call.config().get(Key::PintheonPort)) + "/admin";
  call.out.line(url);
  // $BROWSER first (the URL as its last argument, or in place of %s), then
  // the desktop's opener.
  if (const char* b = std::getenv("BROWSER"); b && *b) {
    std::string browser(b);
    browser = browser.substr(0, browser.find(':'));
    bool ok = browser.find("%s") != std::string::npos
                  ? launch({"/bin/sh", "-c", browser.replace(browser.find("%s"), 2, "\"$1\""), "sh", url})
                  : launch({"/bin/sh", "-c", browser + " \"$1\"", "sh", url});
    if (ok) return kOk;
  }
  std::string opener = find_in_path(sys::desktop() == sys::Desktop::MacOS ? "open" : "xdg-open");
  if (!opener.empty() && launch({opener, url})) return kOk;
  return failure(call, "no way to open a browser: set BROWSER or install xdg-utils");
}

}  // namespace

extern constinit const Command pintheon_setup{
    .name = "pintheon-setup",
    .group = Group::Pintheon,
    .summary = "Install Pinggy if missing, pull the Pintheon image, create the container.",
    .help = "Install Pinggy when it is missing, pull REGISTRY/DAPP:latest (pintheon_registry, "
            "default metavinci) with its progress on stderr, and create the container "
            "pintheon (ports PORT and 9999, DNS 8.8.8.8, bridge network, the data folder's "
            "pintheon_data as /home/pintheon/data) unless it exists.",
    .params = {},
    .needs = kReadsConfig | kExclusive,
    .run = setup_run,
};

extern constinit const Command pintheon_start{
    .name = "pintheon-start",
    .group = Group::Pintheon,
    .summary = "Start the Pintheon container (creating it first when there is none).",
    .help = nullptr,
    .params = {},
    .needs = kReadsConfig | kExclusive,
    .run = start_run,
};

extern constinit const Command pintheon_stop{
    .name = "pintheon-stop",
    .group = Group::Pintheon,
    .summary = "Stop the Pintheon container.",
    .help = nullptr,
    .params = {},
    .needs = kExclusive,
    .run = stop_run,
};

extern constinit const Command pintheon_open{
    .name = "pintheon-open",
    .group = Group::Pintheon,
    .summary = "Open the gateway's admin page in a browser and print its URL.",
    .help = "Print https://127.0.0.1:PORT/admin and open it with $BROWSER, else the desktop's "
            "opener (xdg-open; open on macOS).",
    .params = {},
    .needs = kReadsConfig,
    .run = open_run,
};

}  // namespace hvym::commands
