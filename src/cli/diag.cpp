#include "cli/diag.h"


#include "json/json_writer.h"
#include "store/paths.h"
#include "platform/fs.h"
#include "platform/sys.h"
#include "version.h"

namespace hvym {

void write_diag(Sink& err) {
  JsonWriter w(err);
  w.begin_object();
  w.key("diag");
  w.string("hvym");
  w.key("version");
  w.string(kHvymVersion);
  w.key("system");
  w.string(sys::system_name());
  w.key("machine");
  w.string(sys::machine());
  w.key("data_dir");
  w.string(data_dir());
  w.key("executable");
  w.string(fs::self_exe());
  // Helper programs later commands run, and where they were found (null: absent).
  w.key("helpers");
  w.begin_object();
  for (const char* name : {"docker", "curl", "pinggy", "zenity", "kdialog", "osascript",
                           "xdg-open", "open"}) {
    w.key(name);
    std::string path = find_in_path(name);
    if (path.empty()) w.null();
    else w.string(path);
  }
  w.end_object();
  w.end_object();
  err.put('\n');
  err.flush();
}

}  // namespace hvym
