// The data commands print a data class's fields in declaration order as
// json.dumps does. A command declares the fields and where each value comes
// from; emit_fields does the rest (JSON arguments parsed the Python way).
#pragma once
#include <cstdint>
#include <span>

#include "cli/command.h"

namespace hvym {

struct Field {
  const char* name;
  int8_t from;       // an index into the command's parameters, or one of the below
  char json = 0;     // for Json parameters: '{' a dict is expected, '[' a list
};
inline constexpr int8_t kNone = -1;       // None
inline constexpr int8_t kFalse = -2;      // False
inline constexpr int8_t kEmptyDict = -3;  // {}

// Writes {"name": value, ...} and a newline to call.out. A Json argument that
// is not JSON of the expected kind is a usage error (exit 2).
int emit_fields(Call& call, std::span<const Field> fields);

template <const auto& Fields>
int emit(Call& call) {
  return emit_fields(call, Fields);
}

// A data command: Blender/NFT group; a pure function of its arguments, so
// batch and serve run it in-process.
constexpr Command data_command(const char* name, const char* summary, std::span<const Param> params,
                               RunFn run) {
  return {name, Group::Data, summary, nullptr, params, kInProcess, run};
}

}  // namespace hvym
