// Where hvym's files live and where helper programs are found.
#pragma once
#include <initializer_list>
#include <string>
#include <string_view>

namespace hvym {

// $HVYM_HOME when set, else ~/.local/share/heavymeta-cli (the Python CLI's
// folder on Linux and macOS). Empty when neither HVYM_HOME nor HOME is set.
std::string data_dir();

// data_dir/NAME for the first of `names` ("/db.json") that is a regular
// file there; else the same in the folder where the Python CLI's releases
// before 2025-07-25 kept their files (platformdirs' user_data_dir:
// $XDG_DATA_HOME/heavymeta-cli on Linux when XDG_DATA_HOME is set,
// ~/Library/Application Support/heavymeta-cli on macOS,
// %LOCALAPPDATA%\HeavyMeta\heavymeta-cli on Windows), unless HVYM_HOME
// chooses the folder or that folder is not data_dir_trusted() (another user
// could plant a db.json there: its registry and download URLs would be
// ours); else "".
std::string find_data_file(const std::string& data_dir, std::initializer_list<const char*> names);

// The first executable named `name` on $PATH, or "" when there is none.
std::string find_in_path(std::string_view name);

// The data folder may be used: it is ours (owned by this user, or by root)
// and nobody else may write it; a folder not there yet is fine (hvym makes
// it 0700).
// Otherwise false, with the reason: another user could replace the store,
// the lock or a creation folder under us.
bool data_dir_trusted(const std::string& dir, std::string& error);

// mkdir -p: makes dir and any missing parents (new ones with mode); false
// with a message naming the folder that could not be made.
bool make_dirs(const std::string& dir, unsigned mode, std::string& error);

// The running executable's absolute path (for --install), or "".
std::string self_exe();

// A file named `name` in the folder of the program at `program` (an
// absolute path): what is installed beside hvym.
std::string beside(std::string_view program, std::string_view name);

// Opens a regular file for reading; -1 with a message otherwise. A FIFO
// or device is refused without blocking (its open or read could wait, or
// never end).
int open_regular_file(const std::string& path, std::string& error);

}  // namespace hvym
