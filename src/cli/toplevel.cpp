#include "cli/toplevel.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "unit/args.h"
#include "cli/table.h"
#include "unit/command.h"
#include "cli/completion.h"
#include "prompt/prompt.h"
#include "store/paths.h"
#include "platform/fs.h"
#include "version.h"

namespace hvym {
namespace {

constexpr const char* kGroupTitles[kGroupCount] = {
    "Config",   "Probes",  "Pintheon gateway and tunnel", "Stellar accounts",
    "Blender/NFT data", "Assets", "Prompts", "hvym tools", "Other"};

void write_usage(std::string_view prog, Sink& s) {
  s.write("Usage: ");
  s.write(prog);
  s.write(" COMMAND [ARGS]...\n   or: COMMAND [ARGS]...   (through a link made by --install)\n   or: ");
  s.write(prog);
  s.write(" --list | --version | --install DIR | --completion bash|zsh|fish\n");
}

void write_help(std::string_view prog, Sink& out) {
  write_usage(prog, out);
  out.write(
      "\n  Answers the Heavymeta CLI's commands with the same output, from one\n"
      "  static executable. 'COMMAND --help' shows one command's usage.\n");
  size_t width = 0;
  for (const Command* c : command_table()) width = std::max(width, std::strlen(c->name));
  for (size_t g = 0; g < kGroupCount; ++g) {
    bool title = false;
    for (const Command* c : command_table()) {
      if (static_cast<size_t>(c->group) != g) continue;
      if (!title) {
        out.put('\n');
        out.write(kGroupTitles[g]);
        out.write(":\n");
        title = true;
      }
      out.write("  ");
      out.write(c->name);
      out.write(std::string(width - std::strlen(c->name) + 2, ' '));
      out.line(c->summary);
    }
  }
  out.write(
      "\nOptions:\n"
      "  --list              Print every command name, one a line.\n"
      "  --version           Print hvym's version.\n"
      "  --install DIR       Make a link in DIR named after each command.\n"
      "  --completion SHELL  Print a completion script for bash, zsh or fish.\n"
      "  --help              Show this message and exit.\n"
      "\nEnvironment:\n"
      "  HVYM_HOME  data folder (default ~/.local/share/heavymeta-cli)\n"
      "  HVYM_PERF  1: print where the time of a call went, on stderr\n"
      "  HVYM_DIAG  1: print diagnostics as one JSON line on stderr\n"
      "\nExit status: 0 success, 1 the command failed, 2 usage error.\n");
}

int usage(std::string_view prog, Sink& err, std::string_view message) {
  write_usage(prog, err);
  err.write("Try '");
  err.write(prog);
  err.write(" --help' for help.\n\nError: ");
  err.line(message);
  return kUsage;
}

// Whether the link at `path` (whose target is `target`) is one of ours.
bool is_hvym_link(const std::string& target, const std::string& self) {
  if (target == self) return true;
  std::string_view base(target);
  base = base.substr(base.find_last_of("/\\") + 1);
  return base == "hvym";
}

struct Tally {
  size_t made = 0, updated = 0, kept = 0, skipped = 0, failed = 0;
};

// One link at path to program (hvym).
void place(const std::string& path, const std::string& program, Tally& n, Sink& out, Sink& err) {
  std::string target;
  switch (fs::program_link(path, program, target)) {
    case fs::Link::Ours:
      ++n.kept;
      return;
    case fs::Link::Other:
      if (!is_hvym_link(target, program)) {
        err.line("hvym: skipped " + path + ": a link to " + target + ", not to hvym");
        ++n.skipped;
        return;
      }
      [[fallthrough]];
    case fs::Link::Stale:  // Windows: made by hvym, for an older or another hvym
      if (!fs::relink_program(program, path)) {
        err.line("hvym: cannot replace " + path + ": " + std::strerror(errno));
        ++n.failed;
        return;
      }
      out.line("updated " + path + " -> " + program);
      ++n.updated;
      return;
    case fs::Link::NotLink:
      err.line("hvym: skipped " + path + ": exists and is not a link to hvym");
      ++n.skipped;
      return;
    case fs::Link::Missing:
    case fs::Link::Error:
      if (fs::link_program(program, path)) {
        out.line("linked " + path + " -> " + program);
        ++n.made;
      } else if (int e = errno; e == EEXIST && fs::program_link(path, program, target) == fs::Link::Ours) {
        ++n.kept;  // another --install made it meanwhile
      } else {
        errno = e;
        err.line("hvym: cannot link " + path + ": " + std::strerror(errno));
        ++n.failed;
      }
      return;
  }
}

// Another program of that name on PATH (at's batch, say), or "": a link
// would hide it, or be hidden by it, either way unlooked for.
std::string other_on_path(std::string_view name, const std::string& self, const std::string& dir) {
  std::string other = find_in_path(fs::program_name(name));
  if (other.empty()) return other;
  std::string target;
  fs::Link l = fs::program_link(other, self, target);
  // An older hvym's link elsewhere on PATH would still answer first: told.
  if (l == fs::Link::Stale && fs::same_file(other, dir + "/" + fs::program_name(name))) return {};
  if (l == fs::Link::Ours || (l == fs::Link::Other && is_hvym_link(target, self))) return {};
  return other;
}

int install(std::string_view dir_arg, Sink& out, Sink& err) {
  std::string self = fs::self_exe();
  if (self.empty()) {
    err.line("Error: cannot find the path of the running hvym executable");
    return kFailed;
  }
  std::string dir(dir_arg);
  if (fs::Kind k = fs::kind_of(dir); k == fs::Kind::Missing) {
    std::string why;
    if (!make_dirs(dir, 0755, why)) {
      err.line("Error: " + why);
      return kFailed;
    }
    out.line("made " + dir);
  } else if (k != fs::Kind::Dir) {
    err.line("Error: " + dir + " is not a directory");
    return kFailed;
  }
  Tally n;
  for (const Command* c : command_table()) {
    std::string path = dir + "/" + fs::program_name(c->name);
    if (std::string other = other_on_path(c->name, self, dir); !other.empty()) {
      err.line("hvym: skipped " + path + ": PATH has another " + c->name + " (" + other + "); run it as 'hvym " +
               c->name + "'");
      ++n.skipped;
      continue;
    }
    place(path, self, n, out, err);
    // What a replaced program that was running left (fs::relink_program).
    if (std::string old = path + ".hvym-old"; fs::kind_of(old, /*follow=*/false) == fs::Kind::File) fs::remove_file(old);
  }
  out.line("hvym --install " + dir + ": " + std::to_string(n.made) + " linked, " + std::to_string(n.updated) +
           " updated, " + std::to_string(n.kept) + " already there, " + std::to_string(n.skipped) + " skipped, " +
           std::to_string(n.failed) + " failed");
  return n.failed ? kFailed : kOk;
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

int unknown_command(std::string_view prog, std::string_view name, Sink& err) {
  const Command* best = nullptr;
  size_t best_d = SIZE_MAX;
  for (const Command* c : command_table()) {
    size_t d = edit_distance(name, c->name);
    if (d < best_d) best_d = d, best = c;
  }
  std::string m = "No such command '" + std::string(name) + "'.";
  // Close: a typo or two, or a third of the name; not the least far of many.
  if (best && best_d <= std::max<size_t>(2, name.size() / 3)) m += std::string(" The closest is '") + best->name + "'.";
  return usage(prog, err, m);
}

int missing_command(std::string_view prog, Sink& err) { return usage(prog, err, "Missing command."); }

int run_help(std::string_view prog, std::span<const char* const> names, Sink& out, Sink& err) {
  if (names.empty()) return write_help(prog, out), kOk;
  if (names.size() > 1) return usage(prog, err, "help takes one command name");
  const Command* cmd = find_command(names[0]);
  if (!cmd) return unknown_command(prog, names[0], err);
  write_command_help(*cmd, std::string(prog) + " " + cmd->name, out);
  return kOk;
}

int run_toplevel(std::string_view prog, std::span<const char* const> args, Sink& out, Sink& err) {
  if (args.empty()) {
    write_help(prog, err);
    return kUsage;
  }
  std::string_view opt = args[0];
  auto expect = [&](size_t n) { return args.size() == n; };
  if (opt == "--help" || opt == "-h") return run_help(prog, args.subspan(1), out, err);
  if (opt == "--list") {
    if (!expect(1)) return usage(prog, err, "--list takes no arguments");
    for (const Command* c : command_table()) out.line(c->name);
    return kOk;
  }
  if (opt == "--version") {
    if (!expect(1)) return usage(prog, err, "--version takes no arguments");
    out.write("hvym ");
    out.line(kHvymVersion);
    return kOk;
  }
  if (opt == "--ask-on-terminal") {  // internal: the terminal window of src/prompt/window_fallback.cpp
    if (!expect(2)) return usage(prog, err, "--ask-on-terminal takes one folder");
    return ask_on_terminal(args[1]);
  }
  if (opt == "--install") {
    if (!expect(2)) return usage(prog, err, "--install takes one directory");
    return install(args[1], out, err);
  }
  if (opt == "--completion") {
    if (!expect(2)) return usage(prog, err, "--completion takes one of bash, zsh, fish");
    if (!write_completion(args[1], out))
      return usage(prog, err, "unknown shell '" + std::string(args[1]) + "': use bash, zsh or fish");
    return kOk;
  }
  return usage(prog, err, "No such option: " + std::string(opt));
}

}  // namespace hvym
