#include "json_dom.h"

namespace hvym {

void write_element(JsonWriter& w, simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::OBJECT:
      w.begin_object();
      for (auto field : simdjson::dom::object(e)) {
        w.key(field.key);
        write_element(w, field.value);
      }
      w.end_object();
      break;
    case element_type::ARRAY:
      w.begin_array();
      for (simdjson::dom::element v : simdjson::dom::array(e)) write_element(w, v);
      w.end_array();
      break;
    case element_type::STRING: w.string(std::string_view(e)); break;
    case element_type::INT64: w.integer(int64_t(e)); break;
    case element_type::UINT64: w.integer_text(std::to_string(uint64_t(e))); break;
    case element_type::DOUBLE: w.number(double(e)); break;
    case element_type::BOOL: w.boolean(bool(e)); break;
    case element_type::NULL_VALUE: w.null(); break;
  }
}

std::string dumps(simdjson::dom::element e) {
  std::string s;
  {
    StringSink sink(s);
    JsonWriter w(sink);
    write_element(w, e);
  }
  return s;
}

}  // namespace hvym
