// The Blender add-on's property data commands: each prints one data class of
// the original (fields in declaration order) as json.dumps does. Several were
// broken in the original (wrong field order, missing fields, list/dict
// arguments); here each fills its class's fields from its arguments by name.
#include "command.h"
#include "data_fields.h"

namespace hvym::commands {
namespace {

using K = Kind;
using T = Type;

constexpr auto arg = argument;

// single-node-data NAME TYPE
constexpr Param kNodeParams[] = {arg("name"), arg("type")};
constexpr Field kNodeFields[] = {{"name", 0}, {"type", 1}};

// single-mesh-data NAME VISIBLE
constexpr Param kSingleMeshParams[] = {arg("name"), arg("visible", T::Bool)};
constexpr Field kSingleMeshFields[] = {{"name", 0}, {"visible", 1}};

// mesh-data NAME VISIBLE WIDGET_TYPE SHOW
constexpr Param kMeshParams[] = {arg("name"), arg("visible", T::Bool), arg("widget_type"),
                                 arg("show", T::Bool)};
constexpr Field kMeshFields[] = {{"widget_type", 2}, {"show", 3}, {"name", 0}, {"visible", 1}};

// single-float-data / single-int-data NAME DEFAULT MIN MAX
constexpr Param kSingleFloatParams[] = {arg("name"), arg("default", T::Float), arg("min", T::Float),
                                        arg("max", T::Float)};
constexpr Param kSingleIntParams[] = {arg("name"), arg("default", T::Int), arg("min", T::Int),
                                      arg("max", T::Int)};
constexpr Field kSingleNumberFields[] = {{"name", 0}, {"default", 1}, {"min", 2}, {"max", 3}};

// slider-data PROP_SLIDER_TYPE PROP_ACTION_TYPE WIDGET_TYPE SHOW
constexpr Param kSliderParams[] = {arg("prop_slider_type"), arg("prop_action_type"),
                                   arg("widget_type"), arg("show", T::Bool)};
constexpr Field kSliderFields[] = {{"widget_type", 2}, {"show", 3}, {"prop_slider_type", 0},
                                   {"prop_action_type", 1}};

// slider-float-data / slider-int-data DEFAULT MIN MAX PROP_SLIDER_TYPE
// PROP_ACTION_TYPE WIDGET_TYPE SHOW [--immutable]
constexpr Param kSliderFloatParams[] = {
    arg("default", T::Float), arg("min", T::Float), arg("max", T::Float), arg("prop_slider_type"),
    arg("prop_action_type"), arg("widget_type"), arg("show", T::Bool),
    {K::Flag, T::Bool, "--immutable", nullptr, "The value cannot change after minting.", false}};
constexpr Param kSliderIntParams[] = {
    arg("default", T::Int), arg("min", T::Int), arg("max", T::Int), arg("prop_slider_type"),
    arg("prop_action_type"), arg("widget_type"), arg("show", T::Bool),
    {K::Flag, T::Bool, "--immutable", nullptr, "The value cannot change after minting.", false}};
constexpr Field kSliderNumberFields[] = {
    {"widget_type", 5}, {"show", 6}, {"prop_slider_type", 3}, {"prop_action_type", 4},
    {"default", 0},     {"min", 1},  {"max", 2},              {"immutable", 7}};

// menu-data NAME PRIMARY_COLOR SECONDARY_COLOR TEXT_COLOR ALIGNMENT
constexpr Param kMenuParams[] = {arg("name"), arg("primary_color"), arg("secondary_color"),
                                 arg("text_color"), arg("alignment")};
constexpr Field kMenuFields[] = {{"name", 0},       {"primary_color", 1}, {"secondary_color", 2},
                                 {"text_color", 3}, {"alignment", 4}};

// contract-data (13 arguments)
constexpr Param kContractParams[] = {
    arg("mintable", T::Bool), arg("nft_type"),         arg("nft_chain"),
    arg("nft_price", T::Float), arg("prem_nft_price", T::Float), arg("max_supply", T::Int),
    arg("minter_type"),       arg("minter_name"),      arg("minter_desc"),
    arg("minter_image"),      arg("minter_version"),   arg("enable_context", T::Bool),
    arg("menus_shown", T::Bool)};
constexpr Field kContractFields[] = {
    {"mintable", 0},     {"nftType", 1},     {"nftChain", 2},    {"nftPrice", 3},
    {"premNftPrice", 4}, {"maxSupply", 5},   {"minterType", 6},  {"minterName", 7},
    {"minterDesc", 8},   {"minterImage", 9}, {"minterVersion", 10},
    {"enableContextMenus", 11}, {"menuIndicatorsShown", 12}};

// mesh-set-data SET SELECTED_INDEX WIDGET_TYPE SHOW (SET: a JSON array)
constexpr Param kMeshSetParams[] = {arg("set", T::Json, "a JSON array of mesh references"),
                                    arg("selected_index", T::Int), arg("widget_type"),
                                    arg("show", T::Bool)};
constexpr Field kMeshSetFields[] = {{"widget_type", 2}, {"show", 3}, {"set", 0, '['},
                                    {"selected_index", 1}};

// anim-prop-data NAME LOOP START END BLENDING WEIGHT PLAY MODEL_REF WIDGET_TYPE SHOW
constexpr Param kAnimParams[] = {arg("name"),       arg("loop"),          arg("start", T::Int),
                                 arg("end", T::Int), arg("blending"),     arg("weight", T::Float),
                                 arg("play", T::Bool), arg("model_ref", T::Json, "a JSON object"),
                                 arg("widget_type"), arg("show", T::Bool)};
constexpr Field kAnimFields[] = {{"widget_type", 8}, {"show", 9},     {"name", 0},
                                 {"loop", 1},        {"start", 2},    {"end", 3},
                                 {"blending", 4},    {"weight", 5},   {"play", 6},
                                 {"model_ref", 7, '{'}};

// collection-data NAME TYPE and eleven JSON objects; morphSets and
// actionProps, which the command never took, are empty.
constexpr Param kCollectionParams[] = {
    arg("collectionname"), arg("collectiontype"),
    arg("valprops", T::Json, "a JSON object"), arg("textvalprops", T::Json, "a JSON object"),
    arg("callprops", T::Json, "a JSON object"), arg("meshprops", T::Json, "a JSON object"),
    arg("meshsets", T::Json, "a JSON object"), arg("animprops", T::Json, "a JSON object"),
    arg("matprops", T::Json, "a JSON object"), arg("materialsets", T::Json, "a JSON object"),
    arg("menudata", T::Json, "a JSON object"), arg("proplabeldata", T::Json, "a JSON object"),
    arg("nodes", T::Json, "a JSON object")};
constexpr Field kCollectionFields[] = {
    {"collectionName", 0},     {"collectionType", 1}, {"valProps", 2, '{'},
    {"textValProps", 3, '{'},  {"callProps", 4, '{'}, {"meshProps", 5, '{'},
    {"meshSets", 6, '{'},      {"morphSets", kEmptyDict}, {"animProps", 7, '{'},
    {"matProps", 8, '{'},      {"materialSets", 9, '{'}, {"menuData", 10, '{'},
    {"propLabelData", 11, '{'}, {"nodes", 12, '{'},   {"actionProps", kEmptyDict}};

constexpr auto data = data_command;

}  // namespace

extern const Command single_node_data, single_mesh_data, mesh_data, single_float_data,
    single_int_data, slider_data, slider_float_data, slider_int_data, menu_data, contract_data,
    mesh_set_data, anim_prop_data, collection_data;

constinit const Command single_node_data = data(
    "single-node-data", "Print a node reference (name, type) as JSON.", kNodeParams,
    emit<kNodeFields>);
constinit const Command single_mesh_data = data(
    "single-mesh-data", "Print a mesh reference (name, visible) as JSON.", kSingleMeshParams,
    emit<kSingleMeshFields>);
constinit const Command mesh_data = data(
    "mesh-data", "Print a mesh property with its widget as JSON.", kMeshParams, emit<kMeshFields>);
constinit const Command single_float_data = data(
    "single-float-data", "Print a float property (default, min, max) as JSON.",
    kSingleFloatParams, emit<kSingleNumberFields>);
constinit const Command single_int_data = data(
    "single-int-data", "Print an integer property (default, min, max) as JSON.",
    kSingleIntParams, emit<kSingleNumberFields>);
constinit const Command slider_data = data(
    "slider-data", "Print a slider widget as JSON.", kSliderParams, emit<kSliderFields>);
constinit const Command slider_float_data = data(
    "slider-float-data", "Print a float slider property as JSON.", kSliderFloatParams,
    emit<kSliderNumberFields>);
constinit const Command slider_int_data = data(
    "slider-int-data", "Print an integer slider property as JSON.", kSliderIntParams,
    emit<kSliderNumberFields>);
constinit const Command menu_data = data(
    "menu-data", "Print a Heavymeta menu element as JSON.", kMenuParams, emit<kMenuFields>);
constinit const Command contract_data = data(
    "contract-data", "Print NFT contract data as JSON.", kContractParams, emit<kContractFields>);
constinit const Command mesh_set_data = data(
    "mesh-set-data", "Print a mesh set property (SET as a JSON array) as JSON.", kMeshSetParams,
    emit<kMeshSetFields>);
constinit const Command anim_prop_data = data(
    "anim-prop-data", "Print an animation property (MODEL_REF as a JSON object) as JSON.",
    kAnimParams, emit<kAnimFields>);
constinit const Command collection_data = data(
    "collection-data", "Print collection data (its parts as JSON objects) as JSON.",
    kCollectionParams, emit<kCollectionFields>);

}  // namespace hvym::commands
