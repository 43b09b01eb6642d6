// Where hvym's files live and where helper programs are found.
#pragma once
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "platform/files.h"
#include "platform/lock.h"

namespace hvym {
namespace fs {
class Dir;  // platform/fs.h (not included here: it brings <functional>)
}

// $HVYM_HOME when set, else ~/.local/share/heavymeta-cli (the Python CLI's
// folder on Linux and macOS). Empty when neither HVYM_HOME nor HOME is set.
std::string data_dir();

// A file of the Python CLI found by find_data_file: its path (for
// messages) and a descriptor opened relative to the checked folder, never
// through a link; fd -1 with `error` when the file there may not be read
// (another user's). Nothing found: path "".
struct DataFile {
  std::string path;
  int fd = -1;
  std::string error;
  DataFile() = default;
  DataFile(DataFile&& o) noexcept : path(std::move(o.path)), fd(o.fd), error(std::move(o.error)) { o.fd = -1; }
  DataFile& operator=(DataFile&& o) noexcept;
  DataFile(const DataFile&) = delete;
  DataFile& operator=(const DataFile&) = delete;
  ~DataFile();
  bool found() const { return !path.empty(); }
};

// NAME ("db.json") for the first of `names` that is a regular file (not a
// link) in the data folder `data` (opened by open_data_dir; not open: there
// is none); else the same in the folder where the Python CLI's releases
// before 2025-07-25 kept their files (platformdirs' user_data_dir:
// $XDG_DATA_HOME/heavymeta-cli on Linux when XDG_DATA_HOME is set,
// ~/Library/Application Support/heavymeta-cli on macOS,
// %LOCALAPPDATA%\HeavyMeta\heavymeta-cli on Windows), unless HVYM_HOME
// chooses the folder or that folder is not trusted as data_dir_trusted()
// says (another user could plant a db.json there: its registry and download
// URLs would be ours); else nothing. Folders are opened once and checked on
// their descriptors, and the file is opened relative to them.
DataFile find_data_file(const std::string& data_dir, const fs::Dir& data,
                        std::initializer_list<const char*> names);
// The same for the data folder at `data_dir`, opened and checked here.
DataFile find_data_file(const std::string& data_dir, std::initializer_list<const char*> names);

// The data folder may be used: it is ours (owned by this user, or by root)
// and nobody else may write it; a folder not there yet is fine (hvym makes
// it 0700). Otherwise false, with the reason: another user could replace
// the store, the lock or a creation folder under us. The folder is looked
// at through a descriptor (never through a link); a caller that then uses
// the folder should keep that descriptor: open_data_dir.
bool data_dir_trusted(const std::string& dir, std::string& error);

// Opens the data folder once (never through a symbolic link) and checks it
// on that descriptor with data_dir_trusted's rules: true with `out` open;
// true with `out` not open when there is no such folder yet; false with the
// reason. Everything hvym then does in the folder goes through `out`.
bool open_data_dir(const std::string& dir, fs::Dir& out, std::string& error);
// The same, making the folder first (mkdir -p, 0700) when it is missing.
bool make_data_dir(const std::string& dir, fs::Dir& out, std::string& error);


class Sink;
// Takes `lock` (DATA/`name`) in the data folder at `dir`, made (0700) and
// checked as make_data_dir does; while another command holds it, says so
// on `err` once and waits.
bool lock_data_dir(ExclusiveLock& lock, const std::string& dir, Sink& err, std::string& error,
                   const char* name = "hvym.lock");

}  // namespace hvym
