#include "store/store.h"

#include <lmdb.h>
#ifdef HVYM_SANITIZE
#include <sanitizer/lsan_interface.h>
#endif

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "store/paths.h"
#include "platform/fault.h"
#include "platform/fs.h"
#include "platform/process.h"
#include "platform/wipe.h"

namespace hvym {
namespace {

// Map size: the most the file may grow to; address space only, not memory.
constexpr size_t kMapSize = size_t{64} << 20;
// No store operation may take longer (a hung lock holder, a looping walk).
constexpr unsigned kDeadlineSeconds = 10;
// Reader slots (LMDB's default is 126): a server's threads each take one
// while they read. Fixed by whoever creates lock.mdb.
constexpr unsigned kMaxReaders = 510;

// Batch and serve: one environment per process, shared by every Store (LMDB
// wants one per process and file); each Store only begins its own read
// transaction (writes run in child processes). No deadline alarm there
// (SIGALRM is process-wide). An environment that faulted is poisoned: no
// new transaction begins on it, and the last user closes it, so the next
// open maps the file afresh (and finds the damage before touching a page).
bool g_share = false;
std::mutex g_share_mutex;
struct Shared {
  MDB_env* env = nullptr;
  std::string dir;
  int users = 0;
  bool poisoned = false;
};
Shared* g_shared = nullptr;
// Set on a thread whose in-process request wanted to write: batch and serve
// then run the request again as a child process.
thread_local bool g_wants_process = false;

int g_open_stores = 0;

void install_guard() { fault::install(/*with_deadline=*/!g_share); }

void arm_deadline() {
  install_guard();
  fault::deadline(kDeadlineSeconds);
}

// Readers left in the table by processes that died (SIGKILL) pin old pages
// and fill the table: LMDB clears them only when asked.
void clear_dead_readers(MDB_env* env) {
  int dead = 0;
  mdb_reader_check(env, &dead);
}

// Closes an environment that may sit on a damaged lock file: a fault while
// closing leaves it mapped (the kernel unmaps it at exit).
void close_env_guarded(MDB_env* env) {
  if (HVYM_FAULT_CAUGHT()) return;
  fault::arm();
  mdb_env_close(env);
  fault::disarm();
}

std::string fault_message(const std::string& where) {
  if (fault::why() == fault::Why::Deadline)
    return where + ": no answer from the store within " + std::to_string(kDeadlineSeconds) +
           " s (another process holding it?)";
  return where + " is damaged (reading it faulted); move it away and run hvym again "
                 "(it re-imports db.json when there is one)";
}

std::string lmdb_message(const std::string& where, int rc) {
  switch (rc) {
    case MDB_INVALID:
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_VERSION_MISMATCH:
    case MDB_MAP_RESIZED:  // hvym never grows the map: a garbled meta page says it did
      return where + " is damaged (" + mdb_strerror(rc) +
             "); move it away and run hvym again (it re-imports db.json when there is one)";
    default:
      return where + ": " + mdb_strerror(rc);
  }
}

MDB_val val(std::string_view s) { return {s.size(), const_cast<char*>(s.data())}; }

}  // namespace

// Runs one LMDB expression under the guard; on a fault the enclosing function
// sets `error` and returns `fail`.
#define HVYM_GUARDED(expr, fail)                 \
  do {                                           \
    if (HVYM_FAULT_CAUGHT()) {                   \
      error = fault_message(where_);             \
      faulted();                                 \
      return fail;                               \
    }                                            \
    fault::arm();                                \
    expr;                                        \
    fault::disarm();                             \
  } while (0)

Store::~Store() { close(); }

bool Store::exists(const std::string& data_dir) {
  return fs::kind_of(path_in(data_dir) + "/data.mdb") != fs::Kind::Missing;
}

Store::Opened Store::open_existing(const std::string& data_dir, std::string& error) {
  fs::FileId id;
  bool known = fs::file_id(path_in(data_dir) + "/data.mdb", id);
  if (!known && errno == ENOENT) return Opened::Missing;
  return open(data_dir, false, error, known ? &id : nullptr) ? Opened::Yes : Opened::Failed;
}

bool Store::open(const std::string& data_dir, bool write, std::string& error,
                 const fs::FileId* known) {
  return open_env(path_in(data_dir), write, /*fresh=*/false, error, known);
}

namespace {

// Removes a store folder made by a creation (never through a symlink).
void remove_env_dir(const std::string& dir) { fs::remove_dir_files(dir, {"data.mdb", "lock.mdb"}); }

// Folders of creations whose process was killed: hvym.lmdb.new-PID-XXXXXX
// (or an older hvym's hvym.lmdb.new-PID) with no such process any more.
// A live process's folders, its other threads' included, stay.
void remove_abandoned(const std::string& data_dir) {
  const std::string_view prefix = "hvym.lmdb.new-";
  fs::list_dir(data_dir, [&](std::string_view name) {
    if (name.substr(0, prefix.size()) != prefix) return;
    long pid = std::atol(std::string(name.substr(prefix.size())).c_str());
    std::string path = data_dir + "/" + std::string(name);
    if (pid > 0 && !process_exists(pid) && fs::kind_of(path, /*follow=*/false) == fs::Kind::Dir)
      remove_env_dir(path);
  });
}

}  // namespace

bool Store::create(const std::string& data_dir,
                   const std::function<bool(Store&, std::string&)>& fill, std::string& error) {
  if (g_share) {  // batch and serve only read: a child process creates it
    g_wants_process = true;
    error = "the store is created by a child process";
    return false;
  }
  if (!make_dirs(data_dir, 0700, error)) return false;
  // Built aside and renamed into place: a data.mdb at the real path is
  // always complete, so a short one there can only be damage. The folder is
  // new and unique for every creation (mkdtemp: never an existing path,
  // never a symlink), so no two creators, threads or processes, share one.
  remove_abandoned(data_dir);
  std::string tmp = path_in(data_dir) + ".new-" + std::to_string(current_pid()) + "-XXXXXX";
  if (!fs::make_temp_dir(tmp)) {
    error = "cannot create a folder beside " + path_in(data_dir) + ": " + std::strerror(errno);
    return false;
  }
  bool ok;
  {
    Store fresh;
    ok = fresh.open_env(tmp, true, /*fresh=*/true, error, nullptr) && fill(fresh, error) &&
         fresh.commit(error);
  }
  if (ok && !fs::move_dir(tmp, path_in(data_dir))) {
    // Another process created it first (rename will not replace a non-empty
    // directory): theirs stands, ours goes.
    ok = errno == ENOTEMPTY || errno == EEXIST || Store::exists(data_dir);
    if (!ok) error = "cannot create " + path_in(data_dir) + ": " + std::strerror(errno);
  }
  remove_env_dir(tmp);  // gone already after a successful rename
  return ok;
}

bool Store::open_env(const std::string& dir, bool write, bool fresh, std::string& error,
                     const fs::FileId* known) {
  close();
  write_ = write;
  where_ = "config store " + dir;
  if (g_share && !fresh) {
    if (write) {  // in-process requests only read: a child process writes
      g_wants_process = true;
      error = where_ + ": in-process requests only read";
      return false;
    }
    std::unique_lock<std::mutex> hold(g_share_mutex);
    if (!g_shared) g_shared = new Shared;
    Shared& sh = *g_shared;
    if (sh.env && sh.poisoned) {
      if (sh.users > 0) {  // still in use by requests that began before the fault
        error = where_ + " is damaged (reading it faulted); move it away and run hvym again "
                         "(it re-imports db.json when there is one)";
        return false;
      }
      close_env_guarded(sh.env);
      sh.env = nullptr;
    }
    if (!sh.env) {
      install_guard();
      if (!open_env_alone(dir, false, false, error, known, /*begin_txn=*/false)) {
        if (env_) close_env_guarded(env_);
        env_ = nullptr;
        return false;
      }
      sh.env = env_;
      sh.dir = dir;
      sh.poisoned = false;
      clear_dead_readers(sh.env);
    } else if (sh.dir != dir) {
      error = where_ + ": this process already serves " + sh.dir;
      return false;
    }
    env_ = sh.env;
    shared_ = true;
    ++sh.users;
    hold.unlock();  // a fault in begin() takes the lock to poison the environment
    return begin(error);
  }
  return open_env_alone(dir, write, fresh, error, known);
}

void Store::share_environments() { g_share = true; }
bool Store::sharing() { return g_share; }

bool Store::take_wants_process() {
  bool w = g_wants_process;
  g_wants_process = false;
  return w;
}

void Store::check_readers() {
  std::lock_guard<std::mutex> hold(g_share_mutex);
  if (g_shared && g_shared->env && !g_shared->poisoned) clear_dead_readers(g_shared->env);
}

void Store::faulted() {
  txn_ = nullptr;  // abandoned: touching it again could fault again
  if (!shared_) {
    // Left mapped until the process exits: a write transaction's lock is
    // then released by the kernel (LMDB's robust mutex sees its owner die),
    // which unmapping it now would prevent.
    abandoned_ = true;
    return;
  }
  std::lock_guard<std::mutex> hold(g_share_mutex);
  if (g_shared && g_shared->env == env_) g_shared->poisoned = true;
}

bool Store::open_env_alone(const std::string& dir, bool write, bool fresh, std::string& error,
                           const fs::FileId* known, bool begin_txn) {
  close();
  write_ = write;
  // An existing data.mdb shorter than its two meta pages (LMDB pages are at
  // least 4 KiB) is damage (creation never leaves one there), which LMDB
  // would otherwise take for a new store.
  fs::FileId dst;
  if (!fresh) {
    if (known) {
      dst = *known;
    } else if (!fs::file_id(dir + "/data.mdb", dst)) {
      error = where_ + ": " + std::strerror(errno);
      return false;
    }
    if (dst.size < 2 * 4096) {
      error = where_ + " is damaged (data.mdb is truncated); move it away and run hvym again "
                       "(it re-imports db.json when there is one)";
      return false;
    }
  }
  if (!g_share && g_open_stores++ == 0) arm_deadline();
  counted_ = !g_share;
  auto make_env = [this] {
    int r = mdb_env_create(&env_);
    if (r == 0) r = mdb_env_set_mapsize(env_, kMapSize);
    if (r == 0) r = mdb_env_set_maxreaders(env_, kMaxReaders);
    return r;
  };
  int rc = make_env();
  const volatile unsigned flags = MDB_NOTLS | (write ? 0 : MDB_RDONLY);  // lives across sigsetjmp
  if (rc == 0) {
    HVYM_GUARDED(rc = mdb_env_open(env_, dir.c_str(), flags, 0600), false);
    // Windows: a process opening a store another process is opening at the
    // same moment can find the lock file set up but not yet its named
    // mutexes (ERROR_FILE_NOT_FOUND, seen under wine with three first
    // setters, 1 run in 5). The store is there: open again, briefly.
    for (int tries = 0; !fresh && rc == ENOENT && tries < 50 && fs::file_id(dir + "/data.mdb", dst);
         ++tries) {
      mdb_env_close(env_);
      env_ = nullptr;
      sleep_ms(10);
      rc = make_env();
      if (rc == 0) HVYM_GUARDED(rc = mdb_env_open(env_, dir.c_str(), flags, 0600), false);
    }
    // A read-only folder where the lock file cannot be opened: read without
    // the lock table (the one reader may then not see a concurrent commit).
    if (!write && (rc == EACCES || rc == EROFS || rc == EPERM)) {
      mdb_env_close(env_);
      env_ = nullptr;
      rc = make_env();
      if (rc == 0) HVYM_GUARDED(rc = mdb_env_open(env_, dir.c_str(), flags | MDB_NOLOCK, 0600), false);
    }
  }
  if (rc != 0) {
    error = lmdb_message(where_, rc);
    return false;
  }
  // A data.mdb shorter than the pages its meta page claims would fault on
  // first touch: refuse it before reading any page. The size taken before the
  // open may be stale (a writer may have grown the file since), so only a
  // fresh fstat can condemn it.
  MDB_envinfo info;
  MDB_stat st;
  if (!fresh && mdb_env_info(env_, &info) == 0 && mdb_env_stat(env_, &st) == 0) {
    uint64_t needed = (static_cast<uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
    fs::FileId now;
    if (dst.size < needed && fs::file_id(dir + "/data.mdb", now) && now.size < needed) {
      error = where_ + " is damaged (data.mdb is truncated); move it away and run hvym again "
                       "(it re-imports db.json when there is one)";
      return false;
    }
  }
  // A writer clears readers that died, so their snapshots stop pinning pages.
  if (write && !fresh) clear_dead_readers(env_);
  return !begin_txn || begin(error);
}

bool Store::begin(std::string& error) {
  int rc;
  HVYM_GUARDED(rc = mdb_txn_begin(env_, nullptr, write_ ? 0 : MDB_RDONLY, &txn_), false);
  if (rc == MDB_READERS_FULL) {  // perhaps full of readers that died: clear them, once
    clear_dead_readers(env_);
    HVYM_GUARDED(rc = mdb_txn_begin(env_, nullptr, write_ ? 0 : MDB_RDONLY, &txn_), false);
  }
  if (rc == 0) HVYM_GUARDED(rc = mdb_dbi_open(txn_, nullptr, 0, &dbi_), false);  // the main database
  if (rc != 0) {
    if (txn_) mdb_txn_abort(txn_);
    txn_ = nullptr;
    error = lmdb_message(where_, rc);
    return false;
  }
  return true;
}

std::optional<std::string_view> Store::get(std::string_view key, std::string& error) {
  if (!txn_) return std::nullopt;
  MDB_val k = val(key), v;
  int rc;
  HVYM_GUARDED(rc = mdb_get(txn_, dbi_, &k, &v), std::nullopt);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  if (rc != 0) {
    error = lmdb_message(where_, rc);
    return std::nullopt;
  }
  if (v.mv_size > kMapSize) {  // a damaged node's length: copying it would fault or throw
    error = lmdb_message(where_, MDB_CORRUPTED);
    return std::nullopt;
  }
  std::string_view found(static_cast<const char*>(v.mv_data), v.mv_size);
  HVYM_GUARDED(found = keep(found), std::nullopt);
  return found;
}

std::string_view Store::keep(std::string_view mapped) {
  // A damaged page can hand out a value that reaches past the file, and a
  // file can be truncated underneath: values are copied under the guard (one
  // process or a server alike), and the copies live as long as this Store.
  kept_.emplace_front(mapped);
  return kept_.front();
}

bool Store::put(std::string_view key, std::string_view value, std::string& error) {
  MDB_val k = val(key), v = val(value);
  int rc;
  HVYM_GUARDED(rc = mdb_put(txn_, dbi_, &k, &v, 0), false);
  if (rc != 0) error = lmdb_message(where_, rc);
  return rc == 0;
}

bool Store::del(std::string_view key, std::string& error) {
  MDB_val k = val(key);
  int rc;
  HVYM_GUARDED(rc = mdb_del(txn_, dbi_, &k, nullptr), false);
  if (rc != 0 && rc != MDB_NOTFOUND) {
    error = lmdb_message(where_, rc);
    return false;
  }
  return true;
}

bool Store::scan(std::string_view prefix,
                 const std::function<void(std::string_view, std::string_view)>& fn,
                 std::string& error) {
  if (!txn_) return true;
  MDB_cursor* cur = nullptr;
  int rc;
  HVYM_GUARDED(rc = mdb_cursor_open(txn_, dbi_, &cur), false);
  if (rc != 0) {
    error = lmdb_message(where_, rc);
    return false;
  }
  MDB_val k = val(prefix), v;
  // volatile: lives across sigsetjmp. LMDB refuses an empty key to seek to.
  volatile MDB_cursor_op op = prefix.empty() ? MDB_FIRST : MDB_SET_RANGE;
  while (true) {
    HVYM_GUARDED(rc = mdb_cursor_get(cur, &k, &v, op), false);
    if (rc != 0) break;
    if (k.mv_size > kMapSize || v.mv_size > kMapSize) {
      rc = MDB_CORRUPTED;
      break;
    }
    std::string_view key(static_cast<const char*>(k.mv_data), k.mv_size);
    std::string_view value(static_cast<const char*>(v.mv_data), v.mv_size);
    HVYM_GUARDED((key = keep(key), value = keep(value)), false);
    if (key.substr(0, prefix.size()) != prefix) break;
    fn(key, value);
    op = MDB_NEXT;
  }
  mdb_cursor_close(cur);
  if (rc != 0 && rc != MDB_NOTFOUND) {
    error = lmdb_message(where_, rc);
    return false;
  }
  return true;
}

bool Store::commit(std::string& error) {
  if (!txn_) return false;
  int rc;
  HVYM_GUARDED(rc = mdb_txn_commit(txn_), false);
  txn_ = nullptr;
  if (rc != 0) error = lmdb_message(where_, rc);
  return rc == 0;
}

void Store::leave_shared() {
  std::lock_guard<std::mutex> hold(g_share_mutex);
  if (g_shared && g_shared->env == env_ && --g_shared->users == 0 && g_shared->poisoned) {
    close_env_guarded(g_shared->env);  // the last user of a faulted environment
    g_shared->env = nullptr;
  }
  env_ = nullptr;
  shared_ = false;
  kept_.clear();
}

void Store::leave_for_exit() {
  if (txn_) mdb_txn_abort(txn_);  // frees the reader slot for writers
  txn_ = nullptr;
  if (shared_) return leave_shared();
#ifdef HVYM_SANITIZE
  if (env_) __lsan_ignore_object(env_);  // left on purpose, not a leak
#endif
  env_ = nullptr;  // the kernel unmaps, closes and unlocks at exit
  if (counted_ && --g_open_stores == 0) fault::deadline(0);
  counted_ = false;
}

void Store::close() {
  if (txn_) mdb_txn_abort(txn_);
  txn_ = nullptr;
  if (shared_) return leave_shared();  // the process's environment stays open
  if (abandoned_) env_ = nullptr;      // faulted: left to the kernel (see faulted())
  abandoned_ = false;
  if (env_) mdb_env_close(env_);
  if (env_ && counted_ && --g_open_stores == 0) fault::deadline(0);
  counted_ = false;
  env_ = nullptr;
}

namespace {

// Pages on LMDB's free list (database 0, readable in a read-only
// transaction: each record an array of page numbers, its first word the count).
bool free_pages(MDB_env* env, size_t& count) {
  count = 0;
  MDB_txn* txn;
  MDB_cursor* cur;
  if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) != 0) return false;
  if (mdb_cursor_open(txn, 0, &cur) != 0) {
    mdb_txn_abort(txn);
    return false;
  }
  MDB_val k, v;
  int rc;
  for (MDB_cursor_op op = MDB_FIRST; (rc = mdb_cursor_get(cur, &k, &v, op)) == 0; op = MDB_NEXT)
    if (v.mv_size >= sizeof(size_t)) count += *static_cast<const size_t*>(v.mv_data);
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  return rc == MDB_NOTFOUND;
}

}  // namespace

bool Store::scrub_free_pages(std::string& error) {
  if (!env_ || txn_ || !write_) return error = where_ + ": no store open for writing", false;
  clear_dead_readers(env_);  // a dead reader's snapshot would keep old pages from reuse
  size_t free_count = 0;
  bool counted;
  HVYM_GUARDED(counted = free_pages(env_, free_count), false);
  if (!counted) return error = where_ + ": cannot read its free list", false;
  volatile size_t rounds = 0, needed = 3;  // live across sigsetjmp
  while (rounds < needed) {
    int rc;
    HVYM_GUARDED(rc = mdb_txn_begin(env_, nullptr, 0, &txn_), false);
    if (rc != 0) return error = lmdb_message(where_, rc), false;
    MDB_stat st;
    if (mdb_stat(txn_, dbi_, &st) != 0) {
      mdb_txn_abort(txn_);
      txn_ = nullptr;
      return error = where_ + ": cannot read its statistics", false;
    }
    size_t live = st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
    // Each round reuses about as many free pages as it rewrites live ones
    // (plus the free list's own): enough rounds to use up every page that
    // was free, and two more for the pages the first rounds freed.
    if (rounds == 0) needed = std::min<size_t>(3 + free_count / std::max<size_t>(live, 1), 200);
    rounds = rounds + 1;
    std::vector<std::pair<std::string, std::string>> all;
    if (!scan("", [&](std::string_view k, std::string_view v) { all.emplace_back(k, v); }, error)) return false;
    for (auto& [k, v] : all)
      if (!put(k, v, error)) {
        if (txn_) mdb_txn_abort(txn_);
        txn_ = nullptr;
        return false;
      }
    for (auto& [k, v] : all) wipe(v);
    if (!commit(error)) return false;
  }
  return true;
}

std::string Store::verify(size_t& keys) {
  keys = 0;
  std::string error;
  if (!txn_) return "no transaction";
  // Readers left behind by killed processes are cleared, as a writer would.
  clear_dead_readers(env_);
  MDB_stat st;
  int rc;
  HVYM_GUARDED(rc = mdb_stat(txn_, dbi_, &st), error);
  if (rc != 0) return lmdb_message(where_, rc);
  size_t seen = 0;
  std::string previous;
  bool ordered = true;
  if (!scan("", [&](std::string_view k, std::string_view) {
        if (seen && std::string_view(previous) >= k) ordered = false;
        previous.assign(k);
        ++seen;
      }, error))
    return error;
  if (!ordered) return where_ + " is damaged (keys out of order)";
  if (seen != st.ms_entries)
    return where_ + " is damaged (" + std::to_string(seen) + " keys reachable, " +
           std::to_string(st.ms_entries) + " recorded)";
  keys = seen;
  return "";
}

}  // namespace hvym
