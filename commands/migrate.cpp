// migrate: the import of a Python CLI install (db.json / fast_config.json).
// hvym imports by itself the first time it finds no store; this command shows
// what was imported, or imports a file explicitly.
#include "unit/args.h"
#include "unit/command.h"
#include "platform/fs.h"
#include "store/config.h"
#include "store/legacy_import.h"
#include "store/paths.h"

namespace hvym::commands {
namespace {

constexpr Param kParams[] = {
    {Kind::Flag, Type::Bool, "--status", nullptr, "Say what was imported, from where and when.", false},
    {Kind::Option, Type::String, "--from", nullptr, "Import this db.json or fast_config.json now.", false},
};

int status(Call& call) {
  std::string dir = data_dir();
  if (dir.empty()) return failure(call, "no data folder: set HOME or HVYM_HOME");
  fs::Dir folder;  // opened once and checked; the store and the files are reached through it
  std::string error;
  if (!open_data_dir(dir, folder, error)) return failure(call, error);
  if (!Store::exists(folder)) {
    DataFile legacy = find_legacy(dir, folder);
    call.out.line("no store at " + Store::path_in(dir) + " yet");
    call.out.line(!legacy.found()          ? "no Python CLI files found: defaults in use"
                  : !legacy.error.empty() ? "will not import it: " + legacy.error
                                          : "will import " + legacy.path + " at first use");
    return kOk;
  }
  Store store;
  if (!store.open(folder, false, error)) return failure(call, error);
  auto show = [&](const char* label, const char* key) {
    auto v = store.get(key, error);
    call.out.line(std::string(label) + (v ? std::string(*v) : std::string("-")));
  };
  call.out.line("store: " + Store::path_in(dir));
  show("created: ", "meta/created_at");
  auto source = store.get("meta/import_source", error);
  if (!source) {
    call.out.line("imported: nothing (no Python CLI files were found when the store was made)");
    return error.empty() ? kOk : failure(call, error);
  }
  show("imported from: ", "meta/import_source");
  show("imported at: ", "meta/import_time");
  if (auto notes = store.get("meta/import_notes", error)) {
    std::string_view n = *notes;
    while (!n.empty()) {
      size_t nl = n.find('\n');
      call.out.line("  " + std::string(n.substr(0, nl)));
      n.remove_prefix(nl == std::string_view::npos ? n.size() : nl + 1);
    }
  }
  return error.empty() ? kOk : failure(call, error);
}

int import_from(Call& call, std::string path) {
  ImportPlan plan;
  std::string error;
  if (!plan_import(path, plan, error)) return failure(call, error);
  std::string dir = data_dir();
  if (dir.empty()) return failure(call, "no data folder: set HOME or HVYM_HOME");
  fs::Dir folder;
  if (!make_data_dir(dir, folder, error)) return failure(call, error);
  if (!Store::exists(folder) && !Store::create(folder, stamp_new_store, error))
    return failure(call, error);
  Store store;
  if (!store.open(folder, true, error)) return failure(call, error);
  // Replace what an earlier import brought, in one transaction.
  std::vector<std::string> old;
  for (const char* prefix : {"config/", "legacy/", "stellar_identities/"})
    if (!store.scan(prefix, [&](std::string_view k, std::string_view) { old.emplace_back(k); }, error))
      return failure(call, error);
  for (const std::string& k : old)
    if (!store.del(k, error)) return failure(call, error);
  if (!apply_import(store, plan, error) || !store.commit(error)) return failure(call, error);
  call.out.line("imported " + path + " into " + Store::path_in(dir));
  for (const std::string& n : plan.notes) call.out.line("  " + n);
  return kOk;
}

int run(Call& call) {
  const Value& from = call[param(kParams, "--from")];
  bool want_status = call[param(kParams, "--status")].b, want_from = from.given;
  if (want_status == want_from) return usage_error(call, "Give one of --status or --from PATH.");
  return want_status ? status(call) : import_from(call, std::string(from.text));
}

}  // namespace

extern constinit const Command migrate{
    .name = "migrate",
    .group = Group::Tools,
    .summary = "Show or redo the import of a Python CLI install (db.json).",
    .help = "hvym imports the Python CLI's db.json (or fast_config.json) from the data folder "
            "the first time it finds no store of its own; the legacy files are only read. "
            "--status says what was imported and when; --from PATH imports PATH now, "
            "replacing what an earlier import brought.",
    .params = kParams,
    .needs = kOwnWrites,  // works on the store itself
    .run = run,
};

}  // namespace hvym::commands
