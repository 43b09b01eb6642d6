#include "legacy_import.h"

#include <simdjson.h>
#include <sys/stat.h>

#include <cmath>
#include <ctime>

#include "config.h"
#include "json_dom.h"
#include "pyconv.h"

namespace hvym {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

bool is_file(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The encoding of a legacy value for key k, or "" with `why` set.
std::string encode_legacy(Key k, element v, std::string& why) {
  std::string enc;
  switch (spec(k).kind) {
    case ValueKind::Text:
    case ValueKind::Status: {
      std::string_view s;
      if (v.get(s) != simdjson::SUCCESS) {
        why = "not a string";
        return "";
      }
      enc.assign(s);
      break;
    }
    case ValueKind::List: {
      simdjson::dom::array arr;
      if (v.get(arr) != simdjson::SUCCESS) {
        why = "not a list";
        return "";
      }
      for (element e : arr) {
        std::string_view s;
        if (e.get(s) != simdjson::SUCCESS) {
          why = "not a list of strings";
          return "";
        }
        if (!enc.empty()) enc += '\n';
        enc += s;
      }
      break;
    }
    case ValueKind::Port:
    case ValueKind::Count: {
      int64_t port;
      if (v.get(port) != simdjson::SUCCESS) {
        why = "not a whole number";
        return "";
      }
      enc = std::to_string(port);
      break;
    }
    case ValueKind::Number: {
      double d;
      if (v.get(d) != simdjson::SUCCESS) {
        why = "not a number";
        return "";
      }
      char buf[py::kFloatBuf];
      enc.assign(buf, py::float_repr(d, buf));
      break;
    }
  }
  why = check_value(k, enc);
  return why.empty() ? enc : "";
}

void take(ImportPlan& plan, Key k, element v, const std::string& where) {
  std::string why;
  std::string enc = encode_legacy(k, v, why);
  if (!why.empty()) {
    plan.notes.push_back(std::string("left out ") + where + "." + spec(k).name + " (" + why +
                         "): " + dumps(v));
    return;
  }
  plan.records.emplace_back(std::string("config/") + spec(k).name, enc);
}

bool plan_tinydb(object root, ImportPlan& plan, std::string& error) {
  bool have_app = false, have_tunnel = false;
  for (auto table : root) {
    std::string name(table.key);
    object docs;
    if (table.value.get(docs) != simdjson::SUCCESS) {
      error = "table '" + name + "' is not an object of documents";
      return false;
    }
    plan.records.emplace_back("legacy/" + name, dumps(table.value));
    size_t count = 0;
    for (auto doc : docs) {
      object fields;
      if (doc.value.get(fields) != simdjson::SUCCESS) {
        error = "document " + name + "/" + std::string(doc.key) + " is not an object";
        return false;
      }
      ++count;
      if (name == "stellar_identities") {
        plan.records.emplace_back("stellar_identities/" + std::string(doc.key), dumps(doc.value));
        continue;
      }
      if (name != "app_data") continue;
      std::string_view type;
      if (fields["data_type"].get(type) != simdjson::SUCCESS) continue;
      std::string where = "app_data/" + std::string(doc.key);
      if (type == "APP_DATA" && !have_app) {
        have_app = true;  // TinyDB's get() answers the first match
        for (Key k : {Key::PinggyToken, Key::PinggyTiers, Key::PintheonDapp, Key::PintheonSifPath,
                      Key::PintheonPort, Key::PintheonNetworks}) {
          element v;
          if (fields[spec(k).name].get(v) == simdjson::SUCCESS) take(plan, k, v, where);
        }
      } else if (type == "TUNNEL_STATUS" && !have_tunnel) {
        have_tunnel = true;
        element v;
        if (fields["status"].get(v) == simdjson::SUCCESS) take(plan, Key::TunnelStatus, v, where);
        if (fields["timestamp"].get(v) == simdjson::SUCCESS)
          take(plan, Key::TunnelTimestamp, v, where);
      }
    }
    plan.notes.push_back("table " + name + ": " + std::to_string(count) + " document" +
                         (count == 1 ? "" : "s") + " kept");
  }
  if (!have_app) plan.notes.push_back("no APP_DATA document: defaults apply");
  return true;
}

bool plan_fast_config(element whole, object root, ImportPlan& plan) {
  for (auto field : root) {
    std::string_view key = field.key;
    std::string_view s;
    if (key == "pintheon_network" || key == "pinggy_tier") {
      bool net = key == "pintheon_network";
      Key k = net ? Key::PintheonNetworks : Key::PinggyTiers;
      if (field.value.get(s) != simdjson::SUCCESS || s.empty() || s.find('\n') != s.npos) {
        plan.notes.push_back("left out fast_config " + std::string(key) + ": " + dumps(field.value));
        continue;
      }
      plan.records.emplace_back(std::string("config/") + spec(k).name,
                                list_with_first(spec(k).fallback, s));
    } else if (auto k = key_named(key)) {
      take(plan, *k, field.value, "fast_config");
    } else {
      plan.notes.push_back("left out unknown fast_config key " + std::string(key));
    }
  }
  plan.records.emplace_back("legacy/fast_config", dumps(whole));
  return true;
}

}  // namespace

std::string find_legacy(const std::string& data_dir) {
  for (const char* name : {"/db.json", "/fast_config.json"}) {
    std::string p = data_dir + name;
    if (is_file(p)) return p;
  }
  return "";
}

bool plan_import(const std::string& path, ImportPlan& plan, std::string& error) {
  plan = ImportPlan{};
  plan.source = path;
  simdjson::padded_string text;
  if (auto e = simdjson::padded_string::load(path).get(text)) {
    error = "cannot read " + path + ": " + simdjson::error_message(e);
    return false;
  }
  bool fast = path.size() >= 16 && path.compare(path.size() - 16, 16, "fast_config.json") == 0;
  // TinyDB reads an empty file as an empty database.
  bool blank = std::string_view(text).find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (blank) {
    plan.notes.push_back("empty file: nothing to import");
    return true;
  }
  simdjson::dom::parser parser;
  element root;
  if (auto e = parser.parse(text).get(root)) {
    error = path + " is not valid JSON (" + simdjson::error_message(e) + ")";
    return false;
  }
  object obj;
  if (root.get(obj) != simdjson::SUCCESS) {
    error = path + " is not a JSON object";
    return false;
  }
  if (fast) return plan_fast_config(root, obj, plan);
  if (!plan_tinydb(obj, plan, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

std::string utc_now() {
  time_t t = time(nullptr);
  struct tm tm;
  gmtime_r(&t, &tm);
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
