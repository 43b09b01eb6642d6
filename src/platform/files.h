// Files and programs by path, portably, on top of fs.h and process.h:
// finding a program on PATH, mkdir -p, opening a regular file safely.
#pragma once
#include <string>
#include <string_view>

namespace hvym {
namespace fs {
class Dir;  // platform/fs.h (not included here: it brings <functional>)
}

// The first executable named `name` on $PATH, or "" when there is none.
std::string find_in_path(std::string_view name);

// mkdir -p: makes dir and any missing parents (new ones with mode); false
// with a message naming the folder that could not be made.
bool make_dirs(const std::string& dir, unsigned mode, std::string& error);

// A file named `name` in the folder of the program at `program` (an
// absolute path): what is installed beside hvym.
std::string beside(std::string_view program, std::string_view name);

// Opens a regular file for reading; -1 with a message otherwise. A FIFO
// or device is refused without blocking (its open or read could wait, or
// never end).
int open_regular_file(const std::string& path, std::string& error);
// The same for `name` in an open folder, never through a link, and only a
// file this user or root owns (another user's could have been planted).
// `shown` names the file in messages.
int open_regular_at(const fs::Dir& dir, const char* name, const std::string& shown, std::string& error);

}  // namespace hvym
