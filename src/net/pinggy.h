// The Pinggy client: where it is installed, how it is downloaded.
#pragma once
#include <string>

#include "store/config.h"
#include "io/sink.h"

namespace hvym {

// ~/.local/share/pinggy/pinggy (the original's place); "" without HOME.
std::string pinggy_installed_path();
// The installed binary, else a pinggy on PATH, else "".
std::string find_pinggy();

// BASE/OS/ARCH/pinggy for this machine (linux or darwin; amd64 or arm64).
std::string pinggy_url(const Config& cfg);

// Downloads the binary with curl into its place atomically (a temporary
// file, then rename), mode 0755. Progress on err. The installed path, or ""
// with error.
std::string install_pinggy(const Config& cfg, Sink& err, std::string& error);

}  // namespace hvym
