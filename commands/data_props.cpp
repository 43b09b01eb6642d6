// The Blender add-on's property data commands: each prints one data class of
// the original (fields in declaration order) as json.dumps does. Several were
// broken in the original (wrong field order, missing fields, list/dict
// arguments); here each fills its class's fields from its arguments by name.
#include "unit/command.h"
#include "data/data_fields.h"

namespace hvym::commands {
namespace {

using K = Kind;
using T = Type;


// single-node-data NAME TYPE
constexpr Param kNodeParams[] = {argument("name"), argument("type")};
constexpr Field kNodeFields[] = {{"name", "name"}, {"type", "type"}};

// single-mesh-data NAME VISIBLE
constexpr Param kSingleMeshParams[] = {argument("name"), argument("visible", T::Bool)};
constexpr Field kSingleMeshFields[] = {{"name", "name"}, {"visible", "visible"}};

// mesh-data NAME VISIBLE WIDGET_TYPE SHOW
constexpr Param kMeshParams[] = {argument("name"), argument("visible", T::Bool), argument("widget_type"),
                                 argument("show", T::Bool)};
constexpr Field kMeshFields[] = {{"widget_type", "widget_type"}, {"show", "show"}, {"name", "name"},
                                 {"visible", "visible"}};

// single-float-data / single-int-data NAME DEFAULT MIN MAX
constexpr Param kSingleFloatParams[] = {argument("name"), argument("default", T::Float), argument("min", T::Float),
                                        argument("max", T::Float)};
constexpr Param kSingleIntParams[] = {argument("name"), argument("default", T::Int), argument("min", T::Int),
                                      argument("max", T::Int)};
constexpr Field kSingleNumberFields[] = {{"name", "name"}, {"default", "default"}, {"min", "min"},
                                         {"max", "max"}};

// slider-data PROP_SLIDER_TYPE PROP_ACTION_TYPE WIDGET_TYPE SHOW
constexpr Param kSliderParams[] = {argument("prop_slider_type"), argument("prop_action_type"),
                                   argument("widget_type"), argument("show", T::Bool)};
constexpr Field kSliderFields[] = {{"widget_type", "widget_type"}, {"show", "show"},
                                   {"prop_slider_type", "prop_slider_type"},
                                   {"prop_action_type", "prop_action_type"}};

// slider-float-data / slider-int-data DEFAULT MIN MAX PROP_SLIDER_TYPE
// PROP_ACTION_TYPE WIDGET_TYPE SHOW [--immutable]
constexpr Param kSliderFloatParams[] = {
    argument("default", T::Float), argument("min", T::Float), argument("max", T::Float), argument("prop_slider_type"),
    argument("prop_action_type"), argument("widget_type"), argument("show", T::Bool),
    {K::Flag, T::Bool, "--immutable", nullptr, "The value cannot change after minting.", false}};
constexpr Param kSliderIntParams[] = {
    argument("default", T::Int), argument("min", T::Int), argument("max", T::Int), argument("prop_slider_type"),
    argument("prop_action_type"), argument("widget_type"), argument("show", T::Bool),
    {K::Flag, T::Bool, "--immutable", nullptr, "The value cannot change after minting.", false}};
constexpr Field kSliderNumberFields[] = {
    {"widget_type", "widget_type"}, {"show", "show"}, {"prop_slider_type", "prop_slider_type"},
    {"prop_action_type", "prop_action_type"}, {"default", "default"}, {"min", "min"}, {"max", "max"},
    {"immutable", "--immutable"}};

// menu-data NAME PRIMARY_COLOR SECONDARY_COLOR TEXT_COLOR ALIGNMENT
constexpr Param kMenuParams[] = {argument("name"), argument("primary_color"), argument("secondary_color"),
                                 argument("text_color"), argument("alignment")};
constexpr Field kMenuFields[] = {{"name", "name"}, {"primary_color", "primary_color"},
                                 {"secondary_color", "secondary_color"}, {"text_color", "text_color"},
                                 {"alignment", "alignment"}};

// contract-data (13 arguments)
constexpr Param kContractParams[] = {
    argument("mintable", T::Bool), argument("nft_type"),         argument("nft_chain"),
    argument("nft_price", T::Float), argument("prem_nft_price", T::Float), argument("max_supply", T::Int),
    argument("minter_type"),       argument("minter_name"),      argument("minter_desc"),
    argument("minter_image"),      argument("minter_version"),   argument("enable_context", T::Bool),
    argument("menus_shown", T::Bool)};
constexpr Field kContractFields[] = {
    {"mintable", "mintable"},           {"nftType", "nft_type"},
    {"nftChain", "nft_chain"},          {"nftPrice", "nft_price"},
    {"premNftPrice", "prem_nft_price"}, {"maxSupply", "max_supply"},
    {"minterType", "minter_type"},      {"minterName", "minter_name"},
    {"minterDesc", "minter_desc"},      {"minterImage", "minter_image"},
    {"minterVersion", "minter_version"}, {"enableContextMenus", "enable_context"},
    {"menuIndicatorsShown", "menus_shown"}};

// mesh-set-data SET SELECTED_INDEX WIDGET_TYPE SHOW (SET: a JSON array)
constexpr Param kMeshSetParams[] = {argument("set", T::Json, "a JSON array of mesh references"),
                                    argument("selected_index", T::Int), argument("widget_type"),
                                    argument("show", T::Bool)};
constexpr Field kMeshSetFields[] = {{"widget_type", "widget_type"}, {"show", "show"}, {"set", "set", '['},
                                    {"selected_index", "selected_index"}};

// anim-prop-data NAME LOOP START END BLENDING WEIGHT PLAY MODEL_REF WIDGET_TYPE SHOW
constexpr Param kAnimParams[] = {argument("name"),       argument("loop"),          argument("start", T::Int),
                                 argument("end", T::Int), argument("blending"),     argument("weight", T::Float),
                                 argument("play", T::Bool), argument("model_ref", T::Json, "a JSON object"),
                                 argument("widget_type"), argument("show", T::Bool)};
constexpr Field kAnimFields[] = {{"widget_type", "widget_type"}, {"show", "show"},   {"name", "name"},
                                 {"loop", "loop"},               {"start", "start"}, {"end", "end"},
                                 {"blending", "blending"},       {"weight", "weight"}, {"play", "play"},
                                 {"model_ref", "model_ref", '{'}};

// collection-data NAME TYPE and eleven JSON objects; morphSets and
// actionProps, which the command never took, are empty.
constexpr Param kCollectionParams[] = {
    argument("collectionname"), argument("collectiontype"),
    argument("valprops", T::Json, "a JSON object"), argument("textvalprops", T::Json, "a JSON object"),
    argument("callprops", T::Json, "a JSON object"), argument("meshprops", T::Json, "a JSON object"),
    argument("meshsets", T::Json, "a JSON object"), argument("animprops", T::Json, "a JSON object"),
    argument("matprops", T::Json, "a JSON object"), argument("materialsets", T::Json, "a JSON object"),
    argument("menudata", T::Json, "a JSON object"), argument("proplabeldata", T::Json, "a JSON object"),
    argument("nodes", T::Json, "a JSON object")};
constexpr Field kCollectionFields[] = {
    {"collectionName", "collectionname"},    {"collectionType", "collectiontype"},
    {"valProps", "valprops", '{'},           {"textValProps", "textvalprops", '{'},
    {"callProps", "callprops", '{'},         {"meshProps", "meshprops", '{'},
    {"meshSets", "meshsets", '{'},           {"morphSets", kEmptyDict},
    {"animProps", "animprops", '{'},         {"matProps", "matprops", '{'},
    {"materialSets", "materialsets", '{'},   {"menuData", "menudata", '{'},
    {"propLabelData", "proplabeldata", '{'}, {"nodes", "nodes", '{'},
    {"actionProps", kEmptyDict}};


}  // namespace

extern constinit const Command single_node_data = data_command(
    "single-node-data", "Print a node reference (name, type) as JSON.", kNodeParams,
    emit<kNodeParams, kNodeFields>);
extern constinit const Command single_mesh_data = data_command(
    "single-mesh-data", "Print a mesh reference (name, visible) as JSON.", kSingleMeshParams,
    emit<kSingleMeshParams, kSingleMeshFields>);
extern constinit const Command mesh_data = data_command(
    "mesh-data", "Print a mesh property with its widget as JSON.", kMeshParams,
    emit<kMeshParams, kMeshFields>);
extern constinit const Command single_float_data = data_command(
    "single-float-data", "Print a float property (default, min, max) as JSON.",
    kSingleFloatParams, emit<kSingleFloatParams, kSingleNumberFields>);
extern constinit const Command single_int_data = data_command(
    "single-int-data", "Print an integer property (default, min, max) as JSON.",
    kSingleIntParams, emit<kSingleIntParams, kSingleNumberFields>);
extern constinit const Command slider_data = data_command(
    "slider-data", "Print a slider widget as JSON.", kSliderParams,
    emit<kSliderParams, kSliderFields>);
extern constinit const Command slider_float_data = data_command(
    "slider-float-data", "Print a float slider property as JSON.", kSliderFloatParams,
    emit<kSliderFloatParams, kSliderNumberFields>);
extern constinit const Command slider_int_data = data_command(
    "slider-int-data", "Print an integer slider property as JSON.", kSliderIntParams,
    emit<kSliderIntParams, kSliderNumberFields>);
extern constinit const Command menu_data = data_command(
    "menu-data", "Print a Heavymeta menu element as JSON.", kMenuParams,
    emit<kMenuParams, kMenuFields>);
extern constinit const Command contract_data = data_command(
    "contract-data", "Print NFT contract data as JSON.", kContractParams,
    emit<kContractParams, kContractFields>);
extern constinit const Command mesh_set_data = data_command(
    "mesh-set-data", "Print a mesh set property (SET as a JSON array) as JSON.", kMeshSetParams,
    emit<kMeshSetParams, kMeshSetFields>);
extern constinit const Command anim_prop_data = data_command(
    "anim-prop-data", "Print an animation property (MODEL_REF as a JSON object) as JSON.",
    kAnimParams, emit<kAnimParams, kAnimFields>);
extern constinit const Command collection_data = data_command(
    "collection-data", "Print collection data (its parts as JSON objects) as JSON.",
    kCollectionParams, emit<kCollectionParams, kCollectionFields>);

}  // namespace hvym::commands
