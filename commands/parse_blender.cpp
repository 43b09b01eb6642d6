// The Blender add-on's two parsers: a collection's property tables, and the
// interactable objects. They follow the original step by step: the same keys
// are read in the same order (a missing one is named, exit 1, where the
// original stopped with a traceback), values are passed through as they came,
// and result tables behave like Python dicts (a repeated key keeps its first
// place and takes the last value).
#include <cmath>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include "unit/args.h"
#include "data/blender.h"
#include "unit/command.h"
#include "json/json_writer.h"
#include "json/pyconv.h"
#include "json/pyjson.h"

namespace hvym::commands {
namespace {

struct BlenderError {
  std::string message;
};

// A JSON object read as Python reads a dict, with its place for messages.
struct Obj {
  const PyJson& doc;
  JsonValue v;
  std::string where;

  JsonValue operator[](std::string_view key) const {
    if (!doc.is_dict(v))
      throw BlenderError{where + " is a " + std::string(doc.type_name(v)) + ", not an object (reading '" +
                         std::string(key) + "')"};
    if (auto found = doc.get(v, key)) return *found;
    throw BlenderError{"missing key '" + std::string(key) + "' in " + where};
  }
  Obj sub(std::string_view key) const {
    return {doc, (*this)[key], where + "['" + std::string(key) + "']"};
  }
  bool is(std::string_view key, std::string_view text) const { return doc.equals((*this)[key], text); }
  bool truthy(std::string_view key) const { return doc.truthy((*this)[key]); }
};

// One dict being built: field by field, values copied from the input.
class DictOut {
 public:
  DictOut() : sink_(text_), w_(sink_) { w_.begin_object(); }
  DictOut& value(std::string_view name, const Obj& from, std::string_view key) {
    return value(name, from.doc, from[key]);
  }
  DictOut& value(std::string_view name, const PyJson& doc, JsonValue v) {
    w_.key(name);
    doc.write(w_, v);
    return *this;
  }
  DictOut& boolean(std::string_view name, bool b) {
    w_.key(name);
    w_.boolean(b);
    return *this;
  }
  DictOut& string(std::string_view name, std::string_view s) {
    w_.key(name);
    w_.string(s);
    return *this;
  }
  DictOut& integer(std::string_view name, int64_t i) {
    w_.key(name);
    w_.integer(i);
    return *this;
  }
  DictOut& raw(std::string_view name, std::string_view json) {
    w_.key(name);
    w_.raw(json);
    return *this;
  }
  JsonWriter& writer() { return w_; }
  std::string done() {
    w_.end_object();
    sink_.flush();
    return std::move(text_);
  }

 private:
  std::string text_;
  StringSink sink_;
  JsonWriter w_;
};

// A Python dict keyed by JSON values: keys equal in Python (1, 1.0, True)
// are one key, shown as first inserted; json.dumps turns them into strings.
class PyDict {
 public:
  void set(const PyJson& doc, JsonValue key, std::string value, const std::string& where) {
    auto [identity, shown] = key_of(doc, key, where);
    auto [it, fresh] = at_.emplace(identity, entries_.size());
    if (fresh) entries_.push_back({shown, std::move(value)});
    else entries_[it->second].second = std::move(value);
  }
  std::string render() const {
    DictOut d;
    for (const auto& [k, v] : entries_) d.raw(k, v);
    return d.done();
  }

 private:
  std::pair<std::string, std::string> key_of(const PyJson& doc, JsonValue k,
                                                    const std::string& where) {
    using T = simdjson::dom::element_type;
    std::string_view type = doc.type_name(k);
    if (type == "dict" || type == "list")
      throw BlenderError{"unhashable key in " + where + ": a " + std::string(type)};
    if (doc.is_str(k)) return {"s" + std::string(std::string_view(k)), std::string(std::string_view(k))};
    std::string shown = doc.dumps(k);
    if (k.type() == T::BOOL) return {bool(k) ? "n1" : "n0", shown};
    if (k.type() == T::NULL_VALUE) return {"null", shown};
    if (k.type() == T::DOUBLE) {
      double d = double(k);
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e18)
        return {"n" + std::to_string(static_cast<long long>(d)), shown};
    }
    if (shown == "NaN") return {"nan" + std::to_string(nan_count_++), shown};
    return {"n" + shown, shown};
  }
  std::vector<std::pair<std::string, std::string>> entries_;
  std::unordered_map<std::string, size_t> at_;
  int nan_count_ = 0;  // NaN equals nothing: each one is a key of its own
};

// `for k in container: if k.isdigit(): obj = container[k]`, as the original loops.
template <class Fn>
void digit_items(const PyJson& doc, JsonValue container, const std::string& where, Fn fn) {
  std::vector<std::pair<std::string_view, JsonValue>> picked;
  if (doc.is_dict(container)) {
    // Each key once, with its last value: one pass, not a lookup per key.
    doc.items(container, [&](std::string_view k, JsonValue v) {
      if (py_isdigit(k)) picked.emplace_back(k, v);
    });
  } else {
    // A list or str yields items, not keys: fine until one looks like a key.
    bool ok = doc.iterate(container, [&](JsonValue item, std::string_view text) {
      if (!doc.is_str(container) && !doc.is_str(item))
        throw BlenderError{where + " holds a " + std::string(doc.type_name(item)) +
                           " where a key was expected"};
      if (py_isdigit(text))
        throw BlenderError{where + " is a " + std::string(doc.type_name(container)) + ", not an object"};
    });
    if (!ok) throw BlenderError{where + " is a " + std::string(doc.type_name(container)) + ", not an object"};
  }
  for (auto& [k, v] : picked) fn(Obj{doc, v, where + "['" + std::string(k) + "']"});
}

// The value-property tables of the original (parse_val_prop and its
// behaviour variant): integer fields read first, float ones for Float props.
std::string value_prop(const Obj& o) {
  bool behaviors = !o.doc.is_none(o["behavior_set"]);
  bool fixed = o.is("prop_action_type", "Immutable") || o.is("prop_action_type", "Static");
  auto build = [&](const char* def, const char* min, const char* max, const char* amount) {
    DictOut d;
    d.value("widget_type", o, "prop_slider_type")
        .value("show", o, "show")
        .value("prop_slider_type", o, "prop_slider_type")
        .value("prop_action_type", o, "prop_action_type")
        .value("default", o, def)
        .value("min", o, min)
        .value("max", o, max)
        .value("immutable", o, "prop_immutable");
    if (!fixed) d.value("amount", o, amount);
    if (behaviors) d.value("behaviors", o, "behavior_set");
    return d.done();
  };
  std::string result = build("int_default", "int_min", "int_max", "int_amount");
  if (o.is("prop_value_type", "Float")) result = build("float_default", "float_min", "float_max", "float_amount");
  return result;
}

struct Doc {
  std::unique_ptr<PyJson> json = std::make_unique<PyJson>();
  std::string name;
};

constexpr Param kCollectionParams[] = {
    {Kind::Argument, Type::String, "collection_name", nullptr, nullptr, false},
    {Kind::Argument, Type::String, "collection_type", nullptr, nullptr, false},
    {Kind::Argument, Type::String, "collection_id", nullptr, nullptr, false},
    {Kind::Argument, Type::String, "collection_json", nullptr, "JSON: the collection's properties", false},
    {Kind::Argument, Type::String, "menu_json", nullptr, "JSON: menus", false},
    {Kind::Argument, Type::String, "nodes_json", nullptr, "JSON: nodes", false},
    {Kind::Argument, Type::String, "actions_json", nullptr, "JSON: actions", false},
};
constexpr Param kInteractablesParams[] = {
    {Kind::Argument, Type::String, "obj_data", nullptr, "JSON: the objects by name", false},
};

bool load(Call& call, Doc& d, const Value& arg, const char* name) {
  d.name = name;
  std::string error;
  if (d.json->parse(arg.text, error)) return true;
  failure(call, std::string(name) + " is not JSON (" + error + ")");
  return false;
}

// What collection prints: the property tables, filled trait by trait, and
// what the menus and actions add.
struct CollectionTables {
  PyDict val, text, calls, meshes, mesh_sets, morph_sets, anims, mats, mat_sets, action_props;
  std::string prop_labels = "{}", col_menu = "{}";
};

// Its widget is the slider when the animation clamps, else the toggle.
void add_anim(const Obj& o, PyDict& anims) {
  const PyJson& cd = o.doc;
  JsonValue widget = o["prop_toggle_type"];
  if (o.is("anim_loop", "Clamp")) widget = o["prop_anim_slider_type"];
  DictOut d;
  d.value("widget_type", cd, widget).value("show", o, "show").value("name", o, "type")
      .value("loop", o, "anim_loop").value("start", o, "anim_start")
      .value("end", o, "anim_end").value("blending", o, "anim_blending")
      .value("weight", o, "anim_weight").value("play", o, "anim_play")
      .value("model_ref", o, "model_ref");
  anims.set(cd, o["type"], d.done(), o.where);
}

// With save_data: the fields its material type exposes, from mat_ref.
void add_mat_prop(const Obj& o, PyDict& mats) {
  const PyJson& cd = o.doc;
  Obj ref = o.sub("mat_ref");
  JsonValue type = o["mat_type"];
  bool reflective = o.truthy("mat_reflective"), iridescent = o.truthy("mat_iridescent"),
       sheen = o.truthy("mat_sheen"), emissive = o.truthy("mat_emissive");
  if (!cd.is_dict(ref.v)) throw BlenderError{ref.where + " is a " + std::string(cd.type_name(ref.v)) + ", not an object"};
  std::string save;
  {
    StringSink s(save);
    JsonWriter w(s);
    write_save_data(w, cd, ref.v, cd.is_str(type) ? std::string_view(type) : "", reflective,
                    iridescent, sheen, emissive);
  }
  DictOut d;
  d.value("widget_type", o, "prop_multi_widget_type").value("show", o, "show")
      .value("name", ref, "name").value("type", o, "mat_type")
      .value("emissive", o, "mat_emissive").value("reflective", o, "mat_reflective")
      .value("irridescent", o, "mat_iridescent").value("sheen", o, "mat_sheen")
      .value("mat_ref", o, "mat_ref").raw("save_data", save);
  mats.set(cd, o["type"], d.done(), o.where);
}

// One trait of the collection into its table, by trait_type.
void add_trait(const Obj& o, CollectionTables& t) {
  const PyJson& cd = o.doc;
  std::string int_props = value_prop(o);  // read for every trait, as the original did
  auto key = [&] { return o["type"]; };
  if (o.is("trait_type", "property")) {
    t.val.set(cd, key(), int_props, o.where);
  } else if (o.is("trait_type", "text")) {
    DictOut d;
    d.value("name", o, "type").value("show", o, "show").value("immutable", o, "prop_immutable")
        .value("text", o, "text_value").value("widget_type", o, "prop_text_widget_type")
        .value("behaviors", o, "behavior_set");
    t.text.set(cd, key(), d.done(), o.where);
  } else if (o.is("trait_type", "call")) {
    DictOut d;
    d.value("name", o, "type").value("call_param", o, "call_param");
    t.calls.set(cd, key(), d.done(), o.where);
  } else if (o.is("trait_type", "mesh")) {
    if (!cd.is_none(o["model_ref"])) {
      DictOut d;
      d.value("widget_type", o, "prop_toggle_type").value("show", o, "show")
          .value("name", o.sub("model_ref"), "name").value("visible", o, "visible");
      t.meshes.set(cd, key(), d.done(), o.where);
    }
  } else if (o.is("trait_type", "mesh_set")) {
    DictOut d;
    d.value("widget_type", o, "prop_selector_type").value("show", o, "show")
        .value("set", o, "mesh_set").integer("selected_index", 0);
    t.mesh_sets.set(cd, key(), d.done(), o.where);
  } else if (o.is("trait_type", "morph_set")) {
    DictOut d;
    d.value("widget_type", o, "prop_selector_type").value("show", o, "show")
        .value("set", o, "morph_set").integer("selected_index", 0)
        .value("model_ref", o, "model_ref");
    t.morph_sets.set(cd, key(), d.done(), o.where);
  } else if (o.is("trait_type", "anim")) {
    add_anim(o, t.anims);
  } else if (o.is("trait_type", "mat_prop") && cd.is_dict(o.v) && cd.get(o.v, "mat_ref")) {
    add_mat_prop(o, t.mats);
  } else if (o.is("trait_type", "mat_set")) {
    DictOut d;
    d.value("widget_type", o, "prop_selector_type").value("show", o, "show")
        .value("set", o, "mat_set").value("mesh_set", o, "mesh_set_name")
        .value("material_id", o, "material_id").integer("selected_index", 0);
    t.mat_sets.set(cd, key(), d.done(), o.where);
  }
  // Every trait carries the labels; the last one read gives them.
  DictOut labels;
  for (const char* k : {"value_prop_label", "text_prop_label", "call_prop_label", "mesh_prop_label",
                        "mat_prop_label", "anim_prop_label", "mesh_set_label", "morph_set_label",
                        "mat_set_label"})
    labels.value(k, o, k);
  t.prop_labels = labels.done();
}

// The menu up to the first of the collection's id (the original's break),
// else the last one.
void read_menu(const Doc& menu, std::string_view collection_id, std::string& col_menu) {
  const PyJson& md = *menu.json;
  bool found = false;
  digit_items(md, md.root(), menu.name, [&](const Obj& o) {
    if (found) return;  // the original's break
    DictOut d;
    d.value("name", o, "menu_name").value("primary_color", o, "menu_primary_color")
        .value("secondary_color", o, "menu_secondary_color").value("text_color", o, "menu_text_color")
        .value("alignment", o, "menu_alignment");
    col_menu = d.done();
    found = md.equals(o["collection_id"], collection_id);
  });
}

void read_actions(const Doc& actions, PyDict& action_props) {
  const PyJson& ad = *actions.json;
  digit_items(ad, ad.root(), actions.name, [&](const Obj& o) {
    DictOut d;
    bool mesh = o.is("trait_type", "mesh_action");
    d.value("anim_type", o, "trait_type").value("set", o, "action_set")
        .value("interaction", o, mesh ? "mesh_interaction_type" : "anim_interaction_type")
        .value("sequence", o, "sequence_type").value("additive", o, "additive");
    if (mesh) d.value("model_ref", o, "model_ref");
    action_props.set(ad, o["type"], d.done(), o.where);
  });
}

void print_collection(Call& call, const CollectionTables& t, const Doc& nodes) {
  DictOut out;
  out.string("collectionName", call[param(kCollectionParams, "collection_name")].text)
      .string("collectionType", call[param(kCollectionParams, "collection_type")].text)
      .raw("valProps", t.val.render()).raw("textValProps", t.text.render())
      .raw("callProps", t.calls.render()).raw("meshProps", t.meshes.render())
      .raw("meshSets", t.mesh_sets.render()).raw("morphSets", t.morph_sets.render())
      .raw("animProps", t.anims.render()).raw("matProps", t.mats.render())
      .raw("materialSets", t.mat_sets.render()).raw("menuData", t.col_menu)
      .raw("propLabelData", t.prop_labels)
      .value("nodes", *nodes.json, nodes.json->root())
      .raw("actionProps", t.action_props.render());
  call.out.line(out.done());
}

int collection(Call& call) {
  Doc col, menu, nodes, actions;
  if (!load(call, col, call[param(kCollectionParams, "collection_json")], "COLLECTION_JSON") ||
      !load(call, menu, call[param(kCollectionParams, "menu_json")], "MENU_JSON") ||
      !load(call, nodes, call[param(kCollectionParams, "nodes_json")], "NODES_JSON") ||
      !load(call, actions, call[param(kCollectionParams, "actions_json")], "ACTIONS_JSON"))
    return kFailed;
  try {
    CollectionTables t;
    const PyJson& cd = *col.json;
    digit_items(cd, cd.root(), col.name, [&](const Obj& o) { add_trait(o, t); });
    read_menu(menu, call[param(kCollectionParams, "collection_id")].text, t.col_menu);
    read_actions(actions, t.action_props);
    print_collection(call, t, nodes);
    return kOk;
  } catch (const BlenderError& e) {
    return failure(call, e.message);
  }
}

// The MESH children of an interactable, each shown: a JSON list.
std::string mesh_set_json(const Obj& o) {
  const PyJson& doc = o.doc;
  std::string mesh_set;
  {
    StringSink s(mesh_set);
    JsonWriter w(s);
    w.begin_array();
    JsonValue children = o["children"];
    if (!doc.is_list(children) && doc.truthy(children))
      throw BlenderError{o.where + "['children'] is a " + std::string(doc.type_name(children)) +
                         ", not a list"};
    if (doc.is_list(children)) {
      size_t i = 0;
      for (JsonValue c : simdjson::dom::array(children)) {
        Obj child{doc, c, o.where + "['children'][" + std::to_string(i++) + "]"};
        if (child.is("type", "MESH")) {
          w.begin_object();
          w.key("name");
          doc.write(w, child["name"]);
          w.key("visible");
          w.boolean(true);
          w.end_object();
        }
      }
    }
    w.end_array();
  }
  return mesh_set;
}

// The text trait standing for an interactable's behavior.
std::string behavior_json(const Obj& o) {
  const PyJson& doc = o.doc;
  JsonValue iname = o["hvym_mesh_interaction_name"], icall = o["hvym_mesh_interaction_call"],
            ibehavior = o["hvym_interactable_behavior"];
  bool active = !doc.equals(ibehavior, "NONE");
  DictOut behavior;
  behavior.value("name", doc, iname).string("trait_type", "text").string("values", "NONE")
      .boolean("use_method", active).value("method", doc, icall)
      .value("behavior_type", doc, ibehavior).boolean("use_behavior", active);
  return behavior.done();
}

void add_interactable(const Obj& o, PyDict& data) {
  if (!o.truthy("hvym_interactable")) return;
  std::string mesh_set = mesh_set_json(o);
  std::string behavior = behavior_json(o);
  DictOut d;
  d.value("interactable", o, "hvym_interactable")
      .value("has_return", o, "hvym_interactable_has_return")
      .value("interaction_type", o, "hvym_mesh_interaction_type")
      .value("selector_dir", o, "hvym_interactable_selector_dir")
      .value("name", o, "hvym_mesh_interaction_name")
      .value("call", o, "hvym_mesh_interaction_call")
      .value("default_text", o, "hvym_mesh_interaction_default_text")
      .value("text_scale", o, "hvym_mesh_interaction_text_scale")
      .value("text_wrap", o, "hvym_mesh_interaction_text_wrap")
      .value("param_type", o, "hvym_mesh_interaction_param_type")
      .value("slider_param_type", o, "hvym_mesh_interaction_slider_param_type")
      .value("toggle_param_type", o, "hvym_mesh_interaction_toggle_param_type")
      .value("string_param", o, "hvym_mesh_interaction_string_param")
      .value("int_param", o, "hvym_mesh_interaction_int_param")
      .value("float_default", o, "hvym_mesh_interaction_float_default")
      .value("float_min", o, "hvym_mesh_interaction_float_min")
      .value("float_max", o, "hvym_mesh_interaction_float_max")
      .value("int_default", o, "hvym_mesh_interaction_int_default")
      .value("int_min", o, "hvym_mesh_interaction_int_min")
      .value("int_max", o, "hvym_mesh_interaction_int_max")
      .value("toggle_state", o, "hvym_mesh_interaction_toggle_state")
      .value("toggle_int", o, "hvym_mesh_interaction_toggle_int")
      .raw("mesh_set", mesh_set)
      .raw("behavior", behavior);
  data.set(o.doc, o["name"], d.done(), o.where);
}

int interactables(Call& call) {
  Doc objs;
  if (!load(call, objs, call[param(kInteractablesParams, "obj_data")], "OBJ_DATA")) return kFailed;
  const PyJson& doc = *objs.json;
  try {
    PyDict data;
    JsonValue root = doc.root();
    bool empty_other = (doc.is_list(root) && simdjson::dom::array(root).size() == 0) ||
                       (doc.is_str(root) && std::string_view(root).empty());
    if (!doc.is_dict(root) && !empty_other)
      throw BlenderError{objs.name + " is a " + std::string(doc.type_name(root)) + ", not an object"};
    if (doc.is_dict(root)) {
      doc.items(root, [&](std::string_view name, JsonValue value) {
        add_interactable(Obj{doc, value, objs.name + "['" + std::string(name) + "']"}, data);
      });
    }
    call.out.line(data.render());
    return kOk;
  } catch (const BlenderError& e) {
    return failure(call, e.message);
  }
}

}  // namespace

extern constinit const Command parse_blender_hvym_collection{
    .name = "parse-blender-hvym-collection",
    .group = Group::Data,
    .summary = "Print a Blender collection's Heavymeta data as one JSON object.",
    .help = nullptr,
    .params = kCollectionParams,
    .needs = kInProcess,
    .run = collection,
};

extern constinit const Command parse_blender_hvym_interactables{
    .name = "parse-blender-hvym-interactables",
    .group = Group::Data,
    .summary = "Print the interactable objects of a Blender scene as JSON.",
    .help = nullptr,
    .params = kInteractablesParams,
    .needs = kInProcess,
    .run = interactables,
};

}  // namespace hvym::commands
