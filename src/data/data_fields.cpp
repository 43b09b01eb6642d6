#include "data/data_fields.h"

#include <memory>

#include "unit/args.h"
#include "json/json_writer.h"
#include "json/pyjson.h"

namespace hvym {

int emit_fields(Call& call, std::span<const ResolvedField> fields) {
  // JSON arguments first: a bad one writes nothing.
  std::unique_ptr<PyJson> docs[kMaxParams];
  for (const ResolvedField& f : fields) {
    if (f.param == kFixed || call.cmd.params[f.param].type != Type::Json) continue;
    const Value& v = call[f.param];
    if (!v.given) continue;
    auto& doc = docs[f.param];
    doc = std::make_unique<PyJson>();
    std::string error;
    std::string name = call.cmd.params[f.param].name;
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    // The original's dict("") and list(""): an empty argument is {} or [].
    std::string_view text = v.text;
    if (text.empty() && f.json) text = f.json == '{' ? std::string_view("{}") : std::string_view("[]");
    if (!doc->parse(text, error))
      return usage_error(call, "Invalid value for '" + name + "': not JSON (" + error + ")");
    if (f.json == '{' && !doc->is_dict(doc->root()))
      return usage_error(call, "Invalid value for '" + name + "': expected a JSON object, got " +
                                   std::string(doc->type_name(doc->root())));
    if (f.json == '[' && !doc->is_list(doc->root()))
      return usage_error(call, "Invalid value for '" + name + "': expected a JSON array, got " +
                                   std::string(doc->type_name(doc->root())));
  }

  JsonWriter w(call.out);
  w.begin_object();
  for (const ResolvedField& f : fields) {
    w.key(f.name);
    if (f.param == kFixed) {
      switch (f.fixed) {
        case Fixed::None: w.null(); break;
        case Fixed::False: w.boolean(false); break;
        case Fixed::EmptyDict:
          w.begin_object();
          w.end_object();
          break;
      }
      continue;
    }
    size_t i = f.param;
    const Value& v = call[i];
    if (call.cmd.params[i].kind == Kind::Flag) {  // a flag is false unless given
      w.boolean(v.b);
      continue;
    }
    if (!v.given) {
      w.null();
      continue;
    }
    switch (call.cmd.params[i].type) {
      case Type::String: w.string(v.text); break;
      case Type::Bool: w.boolean(v.b); break;
      case Type::Int: w.integer_text(v.digits); break;
      case Type::Float: w.number(v.f); break;
      case Type::Json: docs[i]->write(w, docs[i]->root()); break;
    }
  }
  w.end_object();
  call.out.put('\n');
  return kOk;
}

}  // namespace hvym
