// up, update-npm-modules, update-proprium-js-file: the npm modules the CLI
// works with, copied from a modules folder into DATA/npm_links and linked
// globally with `npm link`. hvym ships no module: it links whatever modules
// folder is installed (share/hvym/npm_links beside the executable, or the
// config's npm_links_source).

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "unit/args.h"
#include "unit/command.h"
#include "unit/config_access.h"
#include "store/config.h"
#include "store/paths.h"
#include "platform/fs.h"
#include "platform/process.h"
#include "prompt/prompt.h"
#include "simdjson.h"

namespace hvym::commands {
namespace {

struct Npm {
  std::string npm;     // the npm executable
  std::string source;  // the modules folder
  std::string target;  // DATA/npm_links
};

bool is_dir(const std::string& p) { return fs::kind_of(p) == fs::Kind::Dir; }

int prepare(Call& call, Npm& n) {
  n.npm = find_in_path("npm");
  if (n.npm.empty()) return failure(call, "npm is not installed (Debian: apt install npm); nothing done.");
  if (!read_config(call)) return kFailed;
  n.source = call.config().get(Key::NpmLinksSource);
  if (n.source.empty()) {
    std::string exe = fs::self_exe();
    n.source = beside(exe, "../share/hvym/npm_links");
  }
  std::string dir = data_dir();
  if (dir.empty()) return failure(call, "no data folder: set HOME or HVYM_HOME.");
  n.target = dir + "/npm_links";
  return kOk;
}

std::vector<std::string> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  fs::list_dir(dir, [&](std::string_view entry) {
    std::string name(entry);
    if (name != ".git" && is_dir(dir + "/" + name)) out.push_back(name);
  });
  std::sort(out.begin(), out.end());
  return out;
}

// The "name" of DIR/package.json, or "".
std::string package_name(const std::string& dir) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  std::string_view name;
  if (parser.load(dir + "/package.json").get(e) || e["name"].get(name)) return "";
  return std::string(name);
}

// Copies a file (its mode too); false with the reason.
bool copy_file(const std::string& from, const std::string& to, std::string& error) {
  int in = fs::open_read(from);
  if (in < 0) return error = "cannot read " + from + ": " + std::strerror(errno), false;
  int out = fs::open_write(to, fs::mode_of(in));
  if (out < 0) {
    close_fd(in);
    return error = "cannot write " + to + ": " + std::strerror(errno), false;
  }
  bool ok = true;
  for (uint64_t at = 0;;) {
    char buf[65536];
    long long n = fs::read_at(in, buf, sizeof buf, at);
    if (n <= 0) {
      ok = ok && n == 0;
      break;
    }
    ok = ok && write_fd(out, {buf, static_cast<size_t>(n)});
    at += static_cast<uint64_t>(n);
  }
  close_fd(in);
  close_fd(out);
  if (!ok) error = "cannot copy " + from + " to " + to;
  return ok;
}

// cp -r, without node_modules (npm install makes those).
bool copy_tree(const std::string& from, const std::string& to, std::string& error) {
  if (!fs::make_dir(to, 0755)) return error = "cannot make " + to + ": " + std::strerror(errno), false;
  bool ok = true;
  bool listed = fs::list_dir(from, [&](std::string_view entry) {
    std::string name(entry);
    if (!ok || name == "node_modules") return;
    std::string a = from + "/" + name, b = to + "/" + name;
    ok = is_dir(a) ? copy_tree(a, b, error) : copy_file(a, b, error);
  });
  if (!listed) return error = "cannot read " + from + ": " + std::strerror(errno), false;
  return ok;
}

// Global packages that are links (npm ls --link --global).
std::set<std::string> linked(const Npm& n) {
  std::set<std::string> names;
  Conversation c = converse({n.npm, "ls", "--link", "--global", "--depth=0", "--json"}, {});
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  simdjson::dom::object deps;
  if (!parser.parse(c.out).get(e) && !e["dependencies"].get(deps))
    for (auto field : deps) names.emplace(field.key);
  return names;
}

// Runs npm in a module's folder, its output on standard error (progress).
bool npm_in(Call& call, const Npm& n, const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), n.npm);
  SpawnSpec spec;
  spec.out = SpawnSpec::ToStderr;
  spec.cwd = dir;
  std::string error;
  call.err.flush();
  long pid = spawn_process(args, spec, error);
  if (pid < 0) return failure(call, error), false;
  int status = wait_process(pid);
  if (status != 0) failure(call, "npm " + args[1] + " failed in " + dir + " (exit status " + std::to_string(status) + ")");
  return status == 0;
}

// Copies the modules folder when there is no copy yet, then installs and
// links every module that is not linked.
int link_modules(Call& call, const Npm& n) {
  std::string error;
  if (!is_dir(n.target)) {
    if (!is_dir(n.source))
      return failure(call, "no npm modules folder at " + n.source + " (set it with: hvym config set npm_links_source DIR).");
    if (!copy_tree(n.source, n.target, error)) return failure(call, error + ".");
    call.out.line("copied " + n.source + " to " + n.target);
  }
  std::set<std::string> have = linked(n);
  int status = kOk;
  for (const std::string& sub : subdirs(n.target)) {
    std::string dir = n.target + "/" + sub, name = package_name(dir);
    if (name.empty()) continue;
    if (have.count(name)) {
      call.out.line(name + " is linked already");
      continue;
    }
    if (!npm_in(call, n, dir, {"install", "--no-audit", "--no-fund"}) || !npm_in(call, n, dir, {"link"})) {
      status = kFailed;
      continue;
    }
    call.out.line("linked " + name + " (" + dir + ")");
  }
  return status;
}

int run_up(Call& call) {
  Npm n;
  if (int status = prepare(call, n); status != kOk) return status;
  int status = link_modules(call, n);
  // The splash is a greeting: nowhere to show it is no failure of `up`.
  std::string ignored;
  StringSink quiet(ignored);
  Call greeting{call.cmd, call.prog, call.out, quiet, {}};
  show_for(greeting, "the splash", kBrand, 3);
  return status;
}

int run_update_modules(Call& call) {
  Npm n;
  if (int status = prepare(call, n); status != kOk) return status;
  if (is_dir(n.target)) {
    std::set<std::string> have = linked(n);
    for (const std::string& sub : subdirs(n.target)) {
      std::string name = package_name(n.target + "/" + sub);
      if (name.empty() || !have.count(name)) continue;
      if (!npm_in(call, n, n.target + "/" + sub, {"unlink", "--global", name})) return kFailed;
      call.out.line("unlinked " + name);
    }
    fs::remove_tree(n.target);
  }
  return link_modules(call, n);
}

int run_update_proprium(Call& call) {
  Npm n;
  if (int status = prepare(call, n); status != kOk) return status;
  std::string from = n.source + "/proprium/index.js", to = n.target + "/proprium/index.js", error;
  if (!is_dir(n.target + "/proprium")) return failure(call, "proprium is not set up in " + n.target + " (run hvym up).");
  if (!copy_file(from, to, error)) return failure(call, error + ".");
  call.out.line("updated " + to);
  return kOk;
}

}  // namespace

extern constinit const Command up{
    .name = "up",
    .group = Group::Tools,
    .summary = "Set up the CLI: link the npm modules, then show the splash.",
    .help = "Copy the npm modules folder (config npm_links_source, default share/hvym/npm_links "
            "beside the hvym executable) into the data folder when it is not there yet, run npm "
            "install and npm link for every module not linked yet, then show the splash. Prints "
            "what it did; npm's own output goes to standard error.",
    .params = {},
    .needs = kReadsConfig | kMayPrompt | kExclusive,
    .run = run_up,
};

extern constinit const Command update_npm_modules{
    .name = "update-npm-modules",
    .group = Group::Tools,
    .summary = "Unlink the npm modules, copy them afresh and link them again.",
    .help = nullptr,
    .params = {},
    .needs = kReadsConfig | kExclusive,
    .run = run_update_modules,
};

extern constinit const Command update_proprium_js_file{
    .name = "update-proprium-js-file",
    .group = Group::Tools,
    .summary = "Copy proprium's index.js from the modules folder into the linked copy.",
    .help = nullptr,
    .params = {},
    .needs = kReadsConfig | kExclusive,
    .run = run_update_proprium,
};

}  // namespace hvym::commands
