#include "store/store.h"

#include <lmdb.h>
#ifdef HVYM_SANITIZE
#include <sanitizer/lsan_interface.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "store/pages.h"
#include "store/paths.h"
#include "platform/fault.h"
#include "platform/fs.h"
#include "platform/process.h"
#include "platform/wipe.h"

namespace hvym {
namespace {

// Map size: the most the file may grow to; address space only, not memory.
constexpr size_t kMapSize = size_t{64} << 20;
// The longest a wait for another process may take: LMDB's writer lock (a
// hung or stopped writer), its reader table's lock, the lock file while
// another process sets it up. Only those waits: a call that is not waiting
// (reading pages, writing, committing) is never cut short by it.
constexpr unsigned kDeadlineSeconds = 10;
// Reader slots (LMDB's default is 126): a server's threads each take one
// while they read. Fixed by whoever creates lock.mdb.
constexpr unsigned kMaxReaders = 510;

// Batch and serve: one environment per process, shared by every Store (LMDB
// wants one per process and file); each Store only begins its own read
// transaction (writes run in child processes). Their waits have the
// deadline where it is per thread (Linux), none elsewhere. An environment
// that faulted (or timed out) is poisoned: no
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

void install_guard() { fault::install(); }

// The deadline of a wait on this thread: per thread where the platform has
// it; elsewhere it is the process's, which batch and serve cannot use.
unsigned wait_seconds() { return !g_share || fault::per_thread() ? kDeadlineSeconds : 0; }

// Readers left in the table by processes that died (SIGKILL) pin old pages
// and fill the table: LMDB clears them only when asked. It takes the reader
// table's lock: a wait, bounded; given up (a fault, the deadline), the
// readers stay, and the transaction that follows says why.
void clear_dead_readers(MDB_env* env) {
  install_guard();
  if (HVYM_FAULT_CAUGHT()) {
    fault::wait_end();
    return;
  }
  int dead = 0;
  fault::arm();
  fault::wait_begin(wait_seconds());
  mdb_reader_check(env, &dead);
  fault::wait_end();
  fault::disarm();
}

// LMDB's assertions (the Debian build keeps them) are about pages it found
// damaged: in a guarded call, the call fails as a fault does (why() is
// Damaged) instead of aborting the process.
void on_lmdb_assert(MDB_env*, const char* what) { fault::damaged(what); }

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
  if (fault::why() == fault::Why::Damaged) {
    std::string what = fault::damage();
    size_t in = what.rfind(" failed in ");  // "mdb.c:N: Assertion '...' failed in F()": keep F
    return where + " is damaged (LMDB found a page it cannot use" +
           (in == std::string::npos ? "" : " in " + what.substr(in + 11)) +
           "; `hvym config verify` checks it); move it away and run hvym again "
           "(it re-imports db.json when there is one)";
  }
  return where + " is damaged (reading it faulted); move it away and run hvym again "
                 "(it re-imports db.json when there is one)";
}

// `env`: the environment a write failed on, to tell a full disk from EIO.
std::string lmdb_message(const std::string& where, int rc, MDB_env* env = nullptr) {
  switch (rc) {
    case MDB_INVALID:
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_VERSION_MISMATCH:
    case MDB_MAP_RESIZED:  // hvym never grows the map: a garbled meta page says it did
      return where + " is damaged (" + mdb_strerror(rc) +
             "); move it away and run hvym again (it re-imports db.json when there is one)";
    case ENOSPC:
      return where + ": no space left on the device";
    case EIO: {  // what LMDB makes of a short write, which a full disk causes
      mdb_filehandle_t fd;
      if (env && mdb_env_get_fd(env, &fd) == 0 && fs::nearly_full_handle(fd))
        return where + ": no space left on the device";
      return where + ": " + mdb_strerror(rc);
    }
    default:
      return where + ": " + mdb_strerror(rc);
  }
}

MDB_val val(std::string_view s) { return {s.size(), const_cast<char*>(s.data())}; }

// The flock of an opening (open_env_alone): released when closed, on every
// way out of the function (a fault or the deadline included).
struct OpeningLock {
  int fd;
  explicit OpeningLock(int f) : fd(f) {}
  OpeningLock(const OpeningLock&) = delete;
  ~OpeningLock() { release(); }
  void take() const {
    if (fd >= 0) fs::lock_exclusive(fd);
  }
  void release() {
    if (fd >= 0) close_fd(fd);
    fd = -1;
  }
};

std::string damaged_message(const std::string& where, const std::string& what) {
  return where + " is damaged (" + what + "); move it away and run hvym again "
                 "(it re-imports db.json when there is one)";
}

// The page check (store/pages.h) of the store under txn, reading data.mdb
// through LMDB's own descriptor: a writer's of the last commit (it holds
// the write lock: nothing changes meanwhile), a reader's of its snapshot
// (or a later one: the pages of its snapshot stay while it reads).
pages::Damage check_pages(MDB_env* env, MDB_txn* txn, bool writer) {
  mdb_filehandle_t fd;
  MDB_stat st;
  if (mdb_env_get_fd(env, &fd) != 0 || mdb_env_stat(env, &st) != 0) return {"its file cannot be read", false};
  uint64_t id = mdb_txn_id(txn);
  return pages::check([fd](void* buf, size_t n, uint64_t at) { return fault::read_at(fd, buf, n, at); },
                      writer ? id - 1 : id, !writer, st.ms_psize, kMapSize);
}

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

// The same for a call that may wait for another process (mdb_env_open,
// mdb_txn_begin): the wait is bounded by the deadline, which covers that
// call only.
#define HVYM_GUARDED_WAIT(expr, fail)            \
  do {                                           \
    if (HVYM_FAULT_CAUGHT()) {                   \
      fault::wait_end();                         \
      error = fault_message(where_);             \
      faulted();                                 \
      return fail;                               \
    }                                            \
    fault::arm();                                \
    fault::wait_begin(wait_seconds());           \
    expr;                                        \
    fault::wait_end();                           \
    fault::disarm();                             \
  } while (0)

Store::~Store() { close(); }

namespace {

constinit const char* g_trace_path = nullptr;  // HVYM_STORE_TRACE, as the shell found it

// Its file, opened (appending) at the first event; -1 without one.
int trace_fd() {
  static const int fd = g_trace_path && *g_trace_path ? fs::open_append(g_trace_path) : -1;
  return fd;
}

}  // namespace

void trace_store_to(const char* path) { g_trace_path = path; }

void trace_store_event(const char* event) {
  int fd = trace_fd();
  if (fd < 0) return;
  char line[64];  // "PID EVENT\n", one write: lines of processes and threads never interleave
  int n = std::snprintf(line, sizeof line, "%ld %s\n", current_pid(), event);
  if (n > 0) write_fd(fd, std::string_view(line, std::min<size_t>(static_cast<size_t>(n), sizeof line - 1)));
}

void Store::read_key(std::string_view key) {
  if (!g_trace_path) return;  // no one to tell
  bool config = key.starts_with("config/") || key.starts_with("meta/") || key.starts_with("cache/");
  touched_ |= config ? kRead : kReadOther;
}

void Store::wrote_key(std::string_view key) {
  if (!g_trace_path) return;
  touched_ |= key.starts_with("config/") ? kWroteConfig : key.starts_with("cache/") ? kWroteCache : kWroteOther;
}

void Store::end_traced(bool committed) {
  uint8_t t = touched_;
  touched_ = 0;
  if (!t || !g_trace_path) return;
  uint8_t wrote = committed ? t & ~(kRead | kReadOther) : 0;
  if (!wrote) {  // read, or wrote and did not commit
    if (t & (kRead | kReadOther)) trace_store_event(t & kReadOther ? "read-other" : "read");
    return;
  }
  if (wrote & kWroteConfig) trace_store_event("write-config");
  if (wrote & kWroteCache) trace_store_event("write-cache");
  if (wrote & kWroteOther) trace_store_event("write-other");
}

namespace {

constexpr const char* kStoreName = "hvym.lmdb";
constexpr const char* kReimport = "; move it away and run hvym again (it re-imports db.json when there is one)";

// DATA/hvym.lmdb (or a creation's folder), opened relative to the checked
// data folder, never through a link, and checked as the data folder is
// (ours or root's, nobody else may write it). False with errno ENOENT and
// no error when there is none.
bool open_store_dir(const fs::Dir& data, std::string_view name, fs::Dir& out, std::string& error) {
  if (!data.is_open()) return errno = ENOENT, false;
  if (!out.open_in(data, name)) {
    int e = errno;
    if (e != ENOENT)
      error = "config store " + data.path() + "/" + std::string(name) + ": " +
              (e == ELOOP || e == ENOTDIR ? "not a folder" : std::strerror(e));
    return errno = e, false;
  }
  if (!fs::dir_is_ours(out, error)) {
    out.close();
    return errno = EACCES, false;
  }
  return true;
}

}  // namespace

bool Store::exists(const fs::Dir& data) {
  fs::Dir store;
  fs::Entry e;
  return data.is_open() && store.open_in(data, kStoreName) && fs::entry_at(store, "data.mdb", e);
}

Store::Opened Store::open_existing(const fs::Dir& data, std::string& error) {
  fs::Dir store;
  if (!open_store_dir(data, kStoreName, store, error)) return error.empty() ? Opened::Missing : Opened::Failed;
  fs::Entry e;
  bool known = fs::entry_at(store, "data.mdb", e);
  if (!known && errno == ENOENT) return Opened::Missing;
  return open_env(store, false, /*fresh=*/false, error, known ? &e : nullptr) ? Opened::Yes : Opened::Failed;
}

bool Store::open(const fs::Dir& data, bool write, std::string& error) {
  fs::Dir store;
  if (!open_store_dir(data, kStoreName, store, error)) {
    if (error.empty()) error = "config store " + path_in(data.path()) + ": " + std::strerror(ENOENT);
    return false;
  }
  return open_env(store, write, /*fresh=*/false, error, nullptr);
}

namespace {

// Folders of creations whose process was killed: hvym.lmdb.new-PID-XXXXXX
// (or an older hvym's hvym.lmdb.new-PID) with no such process any more.
// A live process's folders, its other threads' included, stay. Never
// through a symlink: a link there is left alone.
void remove_abandoned(const fs::Dir& data) {
  const std::string_view prefix = "hvym.lmdb.new-";
  fs::list_dir_at(data, [&](std::string_view name) {
    if (name.substr(0, prefix.size()) != prefix) return;
    long pid = std::atol(std::string(name.substr(prefix.size())).c_str());
    fs::Entry e;
    if (pid > 0 && !process_exists(pid) && fs::entry_at(data, name, e) && e.kind == fs::Kind::Dir)
      fs::remove_dir_files_at(data, name, {"data.mdb", "lock.mdb"});
  });
}

// Why a creation failed, said of the store's real place (the creation's
// own folder is removed again): a full disk as such, never "damaged".
std::string creation_error(const std::string& target, const std::string& where, std::string error,
                           bool faulted, bool full) {
  std::string cause;
  if (full) {
    cause = "no space left on the device";
  } else if (faulted) {
    cause = "writing its first pages failed";
  } else {
    if (error.compare(0, where.size(), where) == 0) error.erase(0, where.size());
    if (error.compare(0, 2, ": ") == 0) error.erase(0, 2);
    cause = error.empty() ? std::string(std::strerror(EIO)) : error;
  }
  return "cannot create config store " + target + ": " + cause;
}

}  // namespace

bool Store::create(const fs::Dir& data,
                   const std::function<bool(Store&, std::string&)>& fill, std::string& error) {
  if (g_share) {  // batch and serve only read: a child process creates it
    g_wants_process = true;
    error = "the store is created by a child process";
    return false;
  }
  const std::string target = path_in(data.path());
  if (!data.is_open()) {  // the caller makes the folder (make_data_dir)
    error = "cannot create config store " + target + ": " + std::strerror(ENOENT);
    return false;
  }
  // Built aside and renamed into place: a data.mdb at the real path is
  // always complete, so a short one there can only be damage. The folder is
  // new and unique for every creation (made exclusively: never an existing
  // path, never a symlink), so no two creators, threads or processes, share
  // one. Everything goes through the data folder's descriptor.
  remove_abandoned(data);
  std::string tmp = std::string(kStoreName) + ".new-" + std::to_string(current_pid()) + "-XXXXXX";
  if (!fs::make_temp_dir_at(data, tmp)) {
    int e = errno;
    error = "cannot create a folder beside " + target + ": " +
            (e == ENOSPC ? "no space left on the device" : std::strerror(e));
    return false;
  }
  bool ok;
  {
    Store fresh;
    fs::Dir made;
    ok = open_store_dir(data, tmp, made, error) &&
         fresh.open_env(made, true, /*fresh=*/true, error, nullptr) && fill(fresh, error) &&
         fresh.commit(error);
    if (!ok)
      error = creation_error(target, fresh.where_, error, fresh.abandoned_, fs::nearly_full(data));
  }
  if (ok && !fs::move_dir_at(data, tmp, kStoreName)) {
    // Another process created it first (rename will not replace a non-empty
    // directory): theirs stands, ours goes.
    int e = errno;
    ok = e == ENOTEMPTY || e == EEXIST || Store::exists(data);
    if (!ok) error = "cannot create config store " + target + ": " + std::strerror(e);
  }
  fs::remove_dir_files_at(data, tmp, {"data.mdb", "lock.mdb"});  // gone already after a successful rename
  return ok;
}

bool Store::open_env(const fs::Dir& store, bool write, bool fresh, std::string& error,
                     const fs::Entry* known) {
  close();
  write_ = write;
  const std::string& dir = store.path();
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
      if (!open_env_alone(store, false, false, error, known, /*begin_txn=*/false)) {
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
  return open_env_alone(store, write, fresh, error, known);
}

uint64_t Store::txn_id() const { return txn_ ? static_cast<uint64_t>(mdb_txn_id(txn_)) : 0; }

uint64_t Store::meta_txn_id() {
  if (!env_ || !txn_) return 0;
  std::string error;
  MDB_envinfo info{};
  int rc = 0;
  HVYM_GUARDED(rc = mdb_env_info(env_, &info), 0);  // the meta pages, read in the map
  return rc == 0 ? static_cast<uint64_t>(info.me_last_txnid) : 0;
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

bool Store::open_env_alone(const fs::Dir& store, bool write, bool fresh, std::string& error,
                           const fs::Entry* known, bool begin_txn) {
  close();
  write_ = write;
  // data.mdb as seen in the opened folder (never through a link): a regular
  // file of ours (or root's). One shorter than its two meta pages (LMDB
  // pages are at least 4 KiB) is damage (creation never leaves one there),
  // which LMDB would otherwise take for a new store.
  fs::Entry dst;
  if (!fresh) {
    if (known) {
      dst = *known;
    } else if (!fs::entry_at(store, "data.mdb", dst)) {
      error = where_ + ": " + std::strerror(errno);
      return false;
    }
    if (dst.kind != fs::Kind::File) {
      error = where_ + "/data.mdb is not a regular file" + kReimport;
      return false;
    }
    if (!dst.ours) {
      error = where_ + "/data.mdb belongs to another user (uid " + std::to_string(dst.owner) +
              "); hvym will not use it";
      return false;
    }
    if (dst.id.size < 2 * 4096) {
      error = where_ + " is damaged (data.mdb is truncated); move it away and run hvym again "
                       "(it re-imports db.json when there is one)";
      return false;
    }
  }
  install_guard();
  auto make_env = [this] {
    int r = mdb_env_create(&env_);
    if (r == 0) r = mdb_env_set_mapsize(env_, kMapSize);
    if (r == 0) r = mdb_env_set_maxreaders(env_, kMaxReaders);
    if (r == 0) r = mdb_env_set_assert(env_, on_lmdb_assert);
    return r;
  };
  // LMDB opens by path: one that names the opened folder itself
  // (/proc/self/fd/N), or, where there is none, its path and a check below
  // that LMDB opened the file looked at.
  bool check;
  const std::string at = fs::fixed_path(store, check);
  int rc = make_env();
  const volatile unsigned flags = MDB_NOTLS | (write ? 0 : MDB_RDONLY);  // lives across sigsetjmp
  // Opens one at a time: an flock on data.mdb held across mdb_env_open. The
  // first opener sets lock.mdb up holding LMDB's exclusive lock, and its
  // last transaction id is 0 until that opener has read the meta pages. One
  // killed in between (the kill storm) hands the half set-up table to a
  // process waiting for LMDB's shared lock, which takes it as set up: its
  // write transaction is then number 1, begun on meta page 0, and the page
  // check finds no meta page of transaction 0. With the flock the next
  // opener only starts once the dead one's locks are gone, and sets the
  // table up again itself. (A new store's folder is private: no lock.)
  OpeningLock opening{fresh ? -1 : fs::open_read_at(store, "data.mdb")};
  if (rc == 0) {
    HVYM_GUARDED_WAIT((opening.take(), rc = mdb_env_open(env_, at.c_str(), flags, 0600)), false);
    // Windows: a process opening a store another process is opening at the
    // same moment can find the lock file set up but not yet its named
    // mutexes (ERROR_FILE_NOT_FOUND, seen under wine with three first
    // setters, 1 run in 5). The store is there: open again, briefly.
    for (int tries = 0; !fresh && rc == ENOENT && tries < 50 && fs::entry_at(store, "data.mdb", dst);
         ++tries) {
      mdb_env_close(env_);
      env_ = nullptr;
      sleep_ms(10);
      rc = make_env();
      if (rc == 0) HVYM_GUARDED_WAIT(rc = mdb_env_open(env_, at.c_str(), flags, 0600), false);
    }
    // A read-only folder where the lock file cannot be opened: read without
    // the lock table (the one reader may then not see a concurrent commit).
    if (!write && (rc == EACCES || rc == EROFS || rc == EPERM)) {
      mdb_env_close(env_);
      env_ = nullptr;
      rc = make_env();
      if (rc == 0) HVYM_GUARDED_WAIT(rc = mdb_env_open(env_, at.c_str(), flags | MDB_NOLOCK, 0600), false);
    }
  }
  opening.release();  // opened (or not): the next opener may go on
  if (rc != 0) {
    bool full = (rc == ENOSPC || rc == EIO) && fs::nearly_full(store);
    error = full ? where_ + ": no space left on the device" : lmdb_message(where_, rc);
    return false;
  }
  // What LMDB's own descriptor of data.mdb (what it maps) is now.
  auto mapped_now = [this](fs::Entry& e) {
    mdb_filehandle_t handle;
    return mdb_env_get_fd(env_, &handle) == 0 && fs::entry_of_handle(handle, e);
  };
  if (check) {  // opened by a path another user may have swapped meanwhile
    fs::Entry seen = dst, mapped;
    if (!mapped_now(mapped) || (fresh && !fs::entry_at(store, "data.mdb", seen)) ||
        mapped.id.dev != seen.id.dev || mapped.id.ino != seen.id.ino || !mapped.ours) {
      error = where_ + " changed while it was opened (another user's folder swapped in?); hvym will not use it";
      return false;
    }
  }
  // A data.mdb shorter than the pages its meta page claims would fault on
  // first touch: refuse it before reading any page. The size taken before the
  // open may be stale (a writer may have grown the file since), so only a
  // fresh fstat can condemn it.
  MDB_envinfo info;
  MDB_stat st;
  if (!fresh && mdb_env_info(env_, &info) == 0 && mdb_env_stat(env_, &st) == 0) {
    uint64_t needed = (static_cast<uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
    fs::Entry now;
    if (dst.id.size < needed && mapped_now(now) && now.id.size < needed) {
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
  HVYM_GUARDED_WAIT(rc = mdb_txn_begin(env_, nullptr, write_ ? 0 : MDB_RDONLY, &txn_), false);
  if (rc == MDB_READERS_FULL) {  // perhaps full of readers that died: clear them, once
    clear_dead_readers(env_);
    HVYM_GUARDED_WAIT(rc = mdb_txn_begin(env_, nullptr, write_ ? 0 : MDB_RDONLY, &txn_), false);
  }
  if (rc == 0) HVYM_GUARDED(rc = mdb_dbi_open(txn_, nullptr, 0, &dbi_), false);  // the main database
  if (rc != 0) {
    if (txn_) mdb_txn_abort(txn_);
    txn_ = nullptr;
    error = lmdb_message(where_, rc);
    return false;
  }
  // A writer checks every page before it changes one: LMDB takes pages from
  // its free list on trust, and a damaged list made it abort (an assertion)
  // or corrupt its heap. Holding the write lock, the file is still.
  if (write_) {
    pages::Damage damage = check_pages(env_, txn_, /*writer=*/true);
    if (!damage.what.empty()) {
      mdb_txn_abort(txn_);
      txn_ = nullptr;
      error = damaged_message(where_, damage.what);
      return false;
    }
  }
  return true;
}

std::optional<std::string_view> Store::get(std::string_view key, std::string& error) {
  if (!txn_) return std::nullopt;
  read_key(key);
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
  wrote_key(key);
  MDB_val k = val(key), v = val(value);
  int rc;
  HVYM_GUARDED(rc = mdb_put(txn_, dbi_, &k, &v, 0), false);
  if (rc != 0) error = lmdb_message(where_, rc);
  return rc == 0;
}

bool Store::del(std::string_view key, std::string& error) {
  wrote_key(key);
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
  read_key(prefix);
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
  end_traced(rc == 0);
  if (rc != 0) error = lmdb_message(where_, rc, env_);
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
  end_traced(false);
  if (shared_) return leave_shared();
#ifdef HVYM_SANITIZE
  if (env_) __lsan_ignore_object(env_);  // left on purpose, not a leak
#endif
  env_ = nullptr;  // the kernel unmaps, closes and unlocks at exit
}

void Store::close() {
  if (txn_) mdb_txn_abort(txn_);
  txn_ = nullptr;
  end_traced(false);
  if (shared_) return leave_shared();  // the process's environment stays open
  if (abandoned_) env_ = nullptr;      // faulted: left to the kernel (see faulted())
  abandoned_ = false;
  if (env_) mdb_env_close(env_);
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
  HVYM_GUARDED_WAIT(counted = free_pages(env_, free_count), false);
  if (!counted) return error = where_ + ": cannot read its free list", false;
  volatile size_t rounds = 0, needed = 3;  // live across sigsetjmp
  while (rounds < needed) {
    int rc;
    HVYM_GUARDED_WAIT(rc = mdb_txn_begin(env_, nullptr, 0, &txn_), false);
    if (rc != 0) return error = lmdb_message(where_, rc), false;
    pages::Damage damage = check_pages(env_, txn_, /*writer=*/true);  // as begin() does
    if (!damage.what.empty()) {
      mdb_txn_abort(txn_);
      txn_ = nullptr;
      return error = damaged_message(where_, damage.what), false;
    }
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
    touched_ = kWroteOther;  // the same values again (config and cache among them): no change of theirs
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
  // Every page, the free list's included, as LMDB's own audit counts them.
  pages::Damage damage = check_pages(env_, txn_, /*writer=*/false);
  if (!damage.what.empty()) return damaged_message(where_, damage.what);
  size_t seen = 0;
  std::string previous;
  bool ordered = true;
  if (!scan("", [&](std::string_view k, std::string_view) {
        if (seen && std::string_view(previous) >= k) ordered = false;
        previous.assign(k);
        ++seen;
      }, error))
    return error;
  touched_ = kRead;  // every key's place, no record's value: a read of the store, not of the vault
  if (!ordered) return where_ + " is damaged (keys out of order)";
  if (seen != st.ms_entries)
    return where_ + " is damaged (" + std::to_string(seen) + " keys reachable, " +
           std::to_string(st.ms_entries) + " recorded)";
  keys = seen;
  return "";
}

}  // namespace hvym
