// Parsed JSON (simdjson's DOM) written back as Python's json.dumps would.
#pragma once
#include <simdjson.h>

#include <string>

#include "json_writer.h"

namespace hvym {

// Writes e through w, keys in document order.
void write_element(JsonWriter& w, simdjson::dom::element e);

// json.dumps(e) on one line.
std::string dumps(simdjson::dom::element e);

}  // namespace hvym
