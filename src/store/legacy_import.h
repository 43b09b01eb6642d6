// A lossless import of the Python CLI's data folder: db.json (TinyDB), or
// fast_config.json when db.json is missing. The legacy files are only read.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "store/paths.h"
#include "store/store.h"

namespace hvym {

struct ImportPlan {
  std::string source;
  // Store records to write: "config/KEY", "legacy/TABLE" (every table as it
  // was), "stellar_identities/ID".
  std::vector<std::pair<std::string, std::string>> records;
  std::vector<std::string> notes;  // what was imported and what was left out
};

// DIR/db.json, else DIR/fast_config.json, else the same in the older
// releases' folder (paths.h: find_data_file), else nothing found. `data`:
// the data folder DIR as open_data_dir opened it (not open: none).
DataFile find_legacy(const std::string& data_dir, const fs::Dir& data);

// Reads and checks a legacy file; false with a message naming the file and the
// problem when it is malformed. Nothing is written.
bool plan_import(const std::string& path, ImportPlan& plan, std::string& error);
// The same for a file find_legacy found (read through its descriptor).
bool plan_import(const DataFile& file, ImportPlan& plan, std::string& error);

// Writes the plan and the import's record (meta/import_*) in the store's
// write transaction.
bool apply_import(Store& store, const ImportPlan& plan, std::string& error);

// Marks a store as hvym's: schema version and creation time, once.
bool stamp_new_store(Store& store, std::string& error);

// Now as ISO 8601 UTC, e.g. 2026-11-23T04:10:00Z.
std::string utc_now();

}  // namespace hvym
