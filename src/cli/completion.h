// `hvym --completion SHELL`: completion scripts generated from the command table.
#pragma once
#include <string_view>

#include "io/sink.h"

namespace hvym {
// False when the shell is not bash, zsh or fish.
bool write_completion(std::string_view shell, Sink& out);
}
