#include "store.h"

#include <lmdb.h>
#ifdef HVYM_SANITIZE
#include <sanitizer/lsan_interface.h>
#endif

#include <cerrno>
#include <mutex>
#include <csetjmp>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

namespace hvym {
namespace {

// Map size: the most the file may grow to; address space only, not memory.
constexpr size_t kMapSize = size_t{64} << 20;
// No store operation may take longer (a hung lock holder, a looping walk).
constexpr unsigned kDeadlineSeconds = 10;

// --- the fault guard ------------------------------------------------------
// Per thread: a fault is delivered to the thread that faulted (batch and
// serve run units on several threads).
thread_local sigjmp_buf g_jump;
thread_local volatile sig_atomic_t g_armed = 0;
thread_local volatile sig_atomic_t g_why = 0;  // the signal that fired

// Batch and serve: one environment per process, shared by every Store (LMDB
// wants one per process and file); each Store only begins its own
// transaction. No deadline alarm there (SIGALRM is process-wide).
bool g_share = false;
std::mutex g_share_mutex;
MDB_env* g_shared_env = nullptr;
std::string* g_shared_dir = nullptr;
bool g_shared_writable = false;

void on_fault(int sig) {
  if (!g_armed) {  // not ours: behave as if no handler were installed
    std::signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_armed = 0;
  g_why = sig;
  siglongjmp(g_jump, 1);
}

// Installed once per process and left in place: unarmed, the handler does
// what the default action would, so there is nothing to restore (and three
// system calls fewer on every query).
bool g_installed = false;
int g_open_stores = 0;

void arm_deadline() {
  if (!g_installed) {
    struct sigaction sa {};
    sa.sa_handler = on_fault;
    sa.sa_flags = SA_NODEFER;  // siglongjmp leaves the handler; keep the signal usable
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
    sigaction(SIGALRM, &sa, nullptr);
    g_installed = true;
  }
  alarm(kDeadlineSeconds);
}

std::string fault_message(const std::string& where) {
  if (g_why == SIGALRM)
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
    if (sigsetjmp(g_jump, 0)) {                  \
      error = fault_message(where_);             \
      txn_ = nullptr;                            \
      return fail;                               \
    }                                            \
    g_armed = 1;                                 \
    expr;                                        \
    g_armed = 0;                                 \
  } while (0)

Store::~Store() { close(); }

bool Store::exists(const std::string& data_dir) {
  struct stat st;
  return stat((path_in(data_dir) + "/data.mdb").c_str(), &st) == 0;
}

Store::Opened Store::open_existing(const std::string& data_dir, std::string& error) {
  struct stat st;
  bool known = stat((path_in(data_dir) + "/data.mdb").c_str(), &st) == 0;
  if (!known && errno == ENOENT) return Opened::Missing;
  return open(data_dir, false, error, known ? &st : nullptr) ? Opened::Yes : Opened::Failed;
}

bool Store::open(const std::string& data_dir, bool write, std::string& error,
                 const struct stat* known) {
  return open_env(path_in(data_dir), write, /*fresh=*/false, error, known);
}

namespace {

void remove_env_dir(const std::string& dir) {
  unlink((dir + "/data.mdb").c_str());
  unlink((dir + "/lock.mdb").c_str());
  rmdir(dir.c_str());
}

// Folders of creations whose process was killed: hvym.lmdb.new-PID with no
// such process any more.
void remove_abandoned(const std::string& data_dir) {
  DIR* d = opendir(data_dir.c_str());
  if (!d) return;
  const std::string prefix = "hvym.lmdb.new-";
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name.substr(0, prefix.size()) != prefix) continue;
    pid_t pid = static_cast<pid_t>(std::atol(e->d_name + prefix.size()));
    if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) remove_env_dir(data_dir + "/" + e->d_name);
  }
  closedir(d);
}

}  // namespace

bool Store::create(const std::string& data_dir,
                   const std::function<bool(Store&, std::string&)>& fill, std::string& error) {
  if (!make_dirs(data_dir, 0700, error)) return false;
  // Built aside and renamed into place: a data.mdb at the real path is
  // always complete, so a short one there can only be damage.
  remove_abandoned(data_dir);
  std::string tmp = path_in(data_dir) + ".new-" + std::to_string(getpid());
  remove_env_dir(tmp);  // a leftover of a killed process that had our pid
  if (mkdir(tmp.c_str(), 0700) != 0) {
    error = "cannot create " + tmp + ": " + std::strerror(errno);
    return false;
  }
  bool ok;
  {
    Store fresh;
    ok = fresh.open_env(tmp, true, /*fresh=*/true, error, nullptr) && fill(fresh, error) &&
         fresh.commit(error);
  }
  if (ok && rename(tmp.c_str(), path_in(data_dir).c_str()) != 0) {
    // Another process created it first (rename will not replace a non-empty
    // directory): theirs stands, ours goes.
    ok = errno == ENOTEMPTY || errno == EEXIST;
    if (!ok) error = "cannot create " + path_in(data_dir) + ": " + std::strerror(errno);
  }
  remove_env_dir(tmp);  // gone already after a successful rename
  return ok;
}

bool Store::open_env(const std::string& dir, bool write, bool fresh, std::string& error,
                     const struct stat* known) {
  close();
  write_ = write;
  where_ = "config store " + dir;
  if (g_share && !fresh) {
    std::lock_guard<std::mutex> hold(g_share_mutex);
    if (!g_shared_env) {
      // Opened once, for writing where the folder allows it.
      std::string ignored;
      if (!open_env_alone(dir, true, false, ignored, known, /*begin_txn=*/false) &&
          !open_env_alone(dir, false, false, error, known, /*begin_txn=*/false))
        return false;
      g_shared_env = env_;
      g_shared_dir = new std::string(dir);
      g_shared_writable = write_;
    } else if (*g_shared_dir != dir) {
      error = where_ + ": this process already serves " + *g_shared_dir;
      return false;
    }
    env_ = g_shared_env;
    shared_ = true;
    write_ = write;
    if (write && !g_shared_writable) {
      error = where_ + ": the folder is read-only";
      env_ = nullptr;
      shared_ = false;
      return false;
    }
    return begin(error);
  }
  return open_env_alone(dir, write, fresh, error, known);
}

void Store::share_environments() { g_share = true; }

bool Store::open_env_alone(const std::string& dir, bool write, bool fresh, std::string& error,
                           const struct stat* known, bool begin_txn) {
  close();
  write_ = write;
  // An existing data.mdb shorter than its two meta pages (LMDB pages are at
  // least 4 KiB) is damage (creation never leaves one there), which LMDB
  // would otherwise take for a new store.
  struct stat dst {};
  if (!fresh) {
    if (known) {
      dst = *known;
    } else if (stat((dir + "/data.mdb").c_str(), &dst) != 0) {
      error = where_ + ": " + std::strerror(errno);
      return false;
    }
    if (dst.st_size < 2 * 4096) {
      error = where_ + " is damaged (data.mdb is truncated); move it away and run hvym again "
                       "(it re-imports db.json when there is one)";
      return false;
    }
  }
  if (!g_share && g_open_stores++ == 0) arm_deadline();
  counted_ = !g_share;
  int rc = mdb_env_create(&env_);
  if (rc == 0) rc = mdb_env_set_mapsize(env_, kMapSize);
  const volatile unsigned flags = MDB_NOTLS | (write ? 0 : MDB_RDONLY);  // lives across sigsetjmp
  if (rc == 0) {
    HVYM_GUARDED(rc = mdb_env_open(env_, dir.c_str(), flags, 0600), false);
    // A read-only folder where the lock file cannot be opened: read without
    // the lock table (the one reader may then not see a concurrent commit).
    if (!write && (rc == EACCES || rc == EROFS || rc == EPERM)) {
      mdb_env_close(env_);
      env_ = nullptr;
      rc = mdb_env_create(&env_);
      if (rc == 0) rc = mdb_env_set_mapsize(env_, kMapSize);
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
    off_t needed = (static_cast<off_t>(info.me_last_pgno) + 1) * st.ms_psize;
    int fd;
    struct stat fst;
    if (dst.st_size < needed && mdb_env_get_fd(env_, &fd) == 0 && fstat(fd, &fst) == 0 &&
        fst.st_size < needed) {
      error = where_ + " is damaged (data.mdb is truncated); move it away and run hvym again "
                       "(it re-imports db.json when there is one)";
      return false;
    }
  }
  return !begin_txn || begin(error);
}

bool Store::begin(std::string& error) {
  int rc;
  HVYM_GUARDED(rc = mdb_txn_begin(env_, nullptr, write_ ? 0 : MDB_RDONLY, &txn_), false);
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
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
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
    std::string_view key(static_cast<const char*>(k.mv_data), k.mv_size);
    if (key.substr(0, prefix.size()) != prefix) break;
    fn(key, std::string_view(static_cast<const char*>(v.mv_data), v.mv_size));
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

void Store::leave_for_exit() {
  if (txn_) mdb_txn_abort(txn_);  // frees the reader slot for writers
  txn_ = nullptr;
  if (shared_) {
    env_ = nullptr;
    shared_ = false;
    return;
  }
#ifdef HVYM_SANITIZE
  if (env_) __lsan_ignore_object(env_);  // left on purpose, not a leak
#endif
  env_ = nullptr;  // the kernel unmaps, closes and unlocks at exit
  if (counted_ && --g_open_stores == 0) alarm(0);
  counted_ = false;
}

void Store::close() {
  if (txn_) mdb_txn_abort(txn_);
  txn_ = nullptr;
  if (shared_) {  // the process's environment stays open
    env_ = nullptr;
    shared_ = false;
    return;
  }
  if (env_) mdb_env_close(env_);
  if (env_ && counted_ && --g_open_stores == 0) alarm(0);
  counted_ = false;
  env_ = nullptr;
}

std::string Store::verify(size_t& keys) {
  keys = 0;
  std::string error;
  if (!txn_) return "no transaction";
  // Readers left behind by killed processes are cleared, as a writer would.
  int dead = 0;
  mdb_reader_check(env_, &dead);
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
