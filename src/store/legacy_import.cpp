#include "store/legacy_import.h"

#include <simdjson.h>

#include <cerrno>
#include <ctime>

#include "store/config.h"
#include "store/paths.h"
#include "platform/fs.h"
#include "platform/process.h"
#include "platform/sys.h"
#include "json/pyjson.h"
#include "json/pyconv.h"

namespace hvym {
namespace {

constexpr size_t kMaxLegacyFile = size_t{64} << 20;

// db.json and fast_config.json are Python's json.dumps output, so they are
// read with Python's rules (PyJson): a repeated key's last value, NaN.
struct Reader {
  const PyJson& doc;
  ImportPlan& plan;

  // The encoding of a legacy value for key k, or "" with `why` set.
  std::string encode(Key k, JsonValue v, std::string& why) const {
    std::string enc;
    switch (spec(k).kind) {
      case ValueKind::Text:
      case ValueKind::Status:
      case ValueKind::Url:
        if (!doc.is_str(v)) return why = "not a string", "";
        enc.assign(std::string_view(v));
        break;
      case ValueKind::List:
        if (!doc.is_list(v)) return why = "not a list", "";
        for (JsonValue e : simdjson::dom::array(v)) {
          if (!doc.is_str(e)) return why = "not a list of strings", "";
          if (!enc.empty()) enc += '\n';
          enc += std::string_view(e);
        }
        break;
      case ValueKind::Port:
      case ValueKind::Count:
        if (!v.is_int64()) return why = "not a whole number", "";
        enc = std::to_string(int64_t(v));
        break;
      case ValueKind::Number: {
        double d;
        if (!v.is_number() || v.get(d) != simdjson::SUCCESS) return why = "not a number", "";
        char buf[py::kFloatBuf];
        enc.assign(buf, py::float_repr(d, buf));
        break;
      }
    }
    why = check_value(k, enc);
    return why.empty() ? enc : "";
  }

  void take(Key k, JsonValue v, const std::string& where) const {
    std::string why;
    std::string enc = encode(k, v, why);
    if (!why.empty()) {
      plan.notes.push_back(std::string("left out ") + where + "." + spec(k).name + " (" + why +
                           "): " + doc.dumps(v));
      return;
    }
    plan.records.emplace_back(std::string("config/") + spec(k).name, enc);
  }

  bool tinydb(std::string& error) const {
    bool have_app = false, have_tunnel = false;
    doc.items(doc.root(), [&](std::string_view table, JsonValue docs) {
      std::string name(table);
      if (!error.empty()) return;
      if (!doc.is_dict(docs)) {
        error = "table '" + name + "' is not an object of documents";
        return;
      }
      plan.records.emplace_back("legacy/" + name, doc.dumps(docs));
      size_t count = 0;
      doc.items(docs, [&](std::string_view id, JsonValue fields) {
        if (!error.empty()) return;
        if (!doc.is_dict(fields)) {
          error = "document " + name + "/" + std::string(id) + " is not an object";
          return;
        }
        ++count;
        if (name == "stellar_identities") {
          plan.records.emplace_back("stellar_identities/" + std::string(id), doc.dumps(fields));
          return;
        }
        auto type = name == "app_data" ? doc.get(fields, "data_type") : std::nullopt;
        if (!type) return;
        std::string where = "app_data/" + std::string(id);
        if (doc.equals(*type, "APP_DATA") && !have_app) {
          have_app = true;  // TinyDB's get() answers the first match
          for (Key k : {Key::PinggyToken, Key::PinggyTiers, Key::PintheonDapp, Key::PintheonSifPath,
                        Key::PintheonPort, Key::PintheonNetworks})
            if (auto v = doc.get(fields, spec(k).name)) take(k, *v, where);
        } else if (doc.equals(*type, "TUNNEL_STATUS") && !have_tunnel) {
          have_tunnel = true;
          if (auto v = doc.get(fields, "status")) take(Key::TunnelStatus, *v, where);
          if (auto v = doc.get(fields, "timestamp")) take(Key::TunnelTimestamp, *v, where);
        }
      });
      plan.notes.push_back("table " + name + ": " + std::to_string(count) + " document" +
                           (count == 1 ? "" : "s") + " kept");
    });
    if (!error.empty()) return false;
    if (!have_app) plan.notes.push_back("no APP_DATA document: defaults apply");
    return true;
  }

  void fast_config() const {
    doc.items(doc.root(), [&](std::string_view key, JsonValue value) {
      if (key == "pintheon_network" || key == "pinggy_tier") {
        Key k = key == "pintheon_network" ? Key::PintheonNetworks : Key::PinggyTiers;
        std::string_view s = doc.is_str(value) ? std::string_view(value) : "";
        if (s.empty() || s.find('\n') != s.npos) {
          plan.notes.push_back("left out fast_config " + std::string(key) + ": " + doc.dumps(value));
          return;
        }
        plan.records.emplace_back(std::string("config/") + spec(k).name,
                                  list_with_first(spec(k).fallback, s));
      } else if (auto k = key_named(key)) {
        take(*k, value, "fast_config");
      } else {
        plan.notes.push_back("left out unknown fast_config key " + std::string(key));
      }
    });
    plan.records.emplace_back("legacy/fast_config", doc.dumps(doc.root()));
  }
};

}  // namespace

DataFile find_legacy(const std::string& data_dir, const fs::Dir& data) {
  return find_data_file(data_dir, data, {"db.json", "fast_config.json"});
}

namespace {

// The plan from a legacy file's descriptor (closed here when `owned`).
bool plan_from(int fd, bool owned, const std::string& path, ImportPlan& plan, std::string& error) {
  plan = ImportPlan{};
  plan.source = path;
  // A regular file only (a FIFO would block, /dev/zero never ends and
  // reads as "empty"), within a bound no real db.json comes near.
  std::string raw;
  bool read = fs::read_fd(fd, raw, kMaxLegacyFile);
  bool too_big = !read && errno == EFBIG;
  if (owned) close_fd(fd);
  if (!read) {
    error = "cannot read " + path + ": " + (too_big ? "it is over 64 MiB" : "a read failed");
    return false;
  }
  simdjson::padded_string text(raw);
  bool fast = path.size() >= 16 && path.compare(path.size() - 16, 16, "fast_config.json") == 0;
  // TinyDB reads an empty file as an empty database.
  if (std::string_view(text).find_first_not_of(" \t\r\n") == std::string_view::npos) {
    plan.notes.push_back("empty file: nothing to import");
    return true;
  }
  PyJson doc;
  if (!doc.parse(text, error)) {
    error = path + " is not valid JSON (" + error + ")";
    return false;
  }
  if (!doc.is_dict(doc.root())) {
    error = path + " is not a JSON object";
    return false;
  }
  Reader reader{doc, plan};
  if (fast) {
    reader.fast_config();
    return true;
  }
  if (!reader.tinydb(error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

}  // namespace

bool plan_import(const std::string& path, ImportPlan& plan, std::string& error) {
  plan = ImportPlan{};
  plan.source = path;
  int fd = open_regular_file(path, error);
  return fd >= 0 && plan_from(fd, /*owned=*/true, path, plan, error);
}

bool plan_import(const DataFile& file, ImportPlan& plan, std::string& error) {
  plan = ImportPlan{};
  plan.source = file.path;
  if (file.fd < 0) {
    error = file.error.empty() ? "cannot open " + file.path : file.error;
    return false;
  }
  return plan_from(file.fd, /*owned=*/false, file.path, plan, error);
}

std::string utc_now() {
  time_t t = time(nullptr);
  struct tm tm {};
  sys::utc_time(t, tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool stamp_new_store(Store& store, std::string& error) {
  return store.put("meta/schema_version", std::to_string(kSchemaVersion), error) &&
         store.put("meta/created_at", utc_now(), error);
}

bool apply_import(Store& store, const ImportPlan& plan, std::string& error) {
  for (const auto& [key, value] : plan.records)
    if (!store.put(key, value, error)) return false;
  std::string notes;
  for (const std::string& n : plan.notes) notes += n + "\n";
  return store.put("meta/import_source", plan.source, error) &&
         store.put("meta/import_time", utc_now(), error) &&
         store.put("meta/import_notes", notes, error);
}

}  // namespace hvym
