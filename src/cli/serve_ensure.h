// `hvym serve --ensure`: a server of this hvym's version answers on the
// address when it returns, started (detached) when none did, and a server
// of another version replaced (docs/protocol.md, "Starting on demand").
#pragma once
#include <string>

#include "unit/command.h"

namespace hvym::serve {

// Prints {"address", "pid", "version", "started"} on call.out; 0, or 1
// with the reason on call.err.
int ensure(Call& call, const std::string& address, long long idle_s);

}  // namespace hvym::serve
