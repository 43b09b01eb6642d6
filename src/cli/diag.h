// HVYM_DIAG=1: one JSON line of diagnostics on stderr before the command runs.
#pragma once
#include "io/sink.h"

namespace hvym {
void write_diag(Sink& err);
}
