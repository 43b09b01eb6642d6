// The data commands print a data class's fields in declaration order as
// json.dumps does. A command declares the fields and the parameter (by name)
// each value comes from; emit_fields does the rest (JSON arguments parsed the
// Python way).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "unit/command.h"

namespace hvym {

// What a field holds when no parameter gives it.
enum class Fixed : uint8_t { None, False, EmptyDict };
inline constexpr Fixed kNone = Fixed::None;            // None
inline constexpr Fixed kFalse = Fixed::False;          // False
inline constexpr Fixed kEmptyDict = Fixed::EmptyDict;  // {}

// A field and where its value comes from: a parameter of the command, by
// its name ("color", "--emissive"), or a constant.
struct Field {
  const char* name;
  const char* param = nullptr;  // nullptr: the field holds `fixed`
  char json = 0;                // for Json parameters: '{' a dict is expected, '[' a list
  Fixed fixed = kNone;
  constexpr Field(const char* field, const char* from, char expect = 0) : name(field), param(from), json(expect) {}
  constexpr Field(const char* field, Fixed value) : name(field), fixed(value) {}
};

// A Field with its parameter's index in the command's parameters.
struct ResolvedField {
  const char* name;
  size_t param;  // kFixed: the field holds `fixed`
  char json;
  Fixed fixed;
};
inline constexpr size_t kFixed = static_cast<size_t>(-1);

// Each field's parameter looked up by name in params: a name that is not
// there does not compile (param(), unit/command.h).
template <size_t N>
consteval std::array<ResolvedField, N> resolve_fields(std::span<const Param> params, const Field (&fields)[N]) {
  std::array<ResolvedField, N> out{};
  for (size_t i = 0; i < N; ++i)
    out[i] = {fields[i].name, fields[i].param ? param(params, fields[i].param) : kFixed, fields[i].json,
              fields[i].fixed};
  return out;
}

// Writes {"name": value, ...} and a newline to call.out. A Json argument that
// is not JSON of the expected kind is a usage error (exit 2).
int emit_fields(Call& call, std::span<const ResolvedField> fields);

// The run function of a command with parameters Params printing Fields.
template <const auto& Params, const auto& Fields>
int emit(Call& call) {
  static constexpr auto kResolved = resolve_fields(Params, Fields);
  return emit_fields(call, kResolved);
}

// A data command: Blender/NFT group; a pure function of its arguments, so
// batch and serve run it in-process.
constexpr Command data_command(const char* name, const char* summary, std::span<const Param> params,
                               RunFn run) {
  return {name, Group::Data, summary, nullptr, params, kInProcess, run};
}

}  // namespace hvym
