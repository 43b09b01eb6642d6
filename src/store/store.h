// The LMDB environment behind hvym's config: DATA/hvym.lmdb/{data.mdb,lock.mdb}.
// A call reads in one read transaction (queries: the dispatcher's); a writer
// opens short write transactions of its own, none held across a question or
// a download. Keys live in the main
// database with a table prefix ("config/pintheon_port", "meta/...",
// "legacy/app_data", "stellar_identities/1").
//
// A damaged file must never crash or hang hvym: a truncated data.mdb is found
// before any page is touched, and every LMDB call runs under a guard that turns
// SIGSEGV/SIGBUS from a garbage page, or an assertion LMDB makes about one,
// into an error; a wait for another process (LMDB's locks) is bounded by a
// deadline that covers the wait alone. Writers check every page, the free
// list's included, before they change one (store/pages.h).
#pragma once
#include <forward_list>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

struct MDB_env;
struct MDB_txn;

namespace hvym {
namespace fs {
class Dir;
struct Entry;
}

// A test hook (tests/cli/test_flags.py): when HVYM_STORE_TRACE names a
// file, every transaction that ends appends what it did to it, one line
// "PID EVENT" each, in one write. A transaction that changed nothing
// (read-only, or a writer that did not commit a change): "read" when it read
// only config values ("config/", "meta/", "cache/" keys), "read-other" when
// it also read other records (the vault, the import's legacy records). A
// commit that changed keys: "write-config", "write-cache", "write-other" for
// "config/...", "cache/...", any other key ("vault/...", "legacy/...",
// "meta/..." of a creation or import). "lock": DATA/hvym.lock taken for a
// kExclusive unit (cli/dispatch.cpp). The shell finds the variable in its one pass over the
// environment and names the file here (trace_store_to); without it nothing
// is written and nothing is looked up.
void trace_store_to(const char* path);
void trace_store_event(const char* event);

class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  static std::string path_in(const std::string& data_dir) { return data_dir + "/hvym.lmdb"; }
  // The store is reached through `data`, the data folder as open_data_dir
  // (store/paths.h) opened and checked it: hvym.lmdb and its files are
  // opened relative to that descriptor, never by a path another user could
  // swap (docs/architecture.md, "The config store").
  //
  // Whether DATA/hvym.lmdb/data.mdb exists (cheap; opens nothing).
  static bool exists(const fs::Dir& data);

  // Opens the existing store and begins one transaction: read-only (a
  // read-only folder works) or read-write.
  bool open(const fs::Dir& data, bool write, std::string& error);
  // Makes a new store: fill() writes its first transaction in a private
  // folder, which is then renamed into place. When another process made one
  // first, theirs stands and this still returns true.
  static bool create(const fs::Dir& data,
                     const std::function<bool(Store&, std::string&)>& fill, std::string& error);
  // A read transaction when the store exists, with one look for both.
  enum class Opened { Yes, Missing, Failed };
  Opened open_existing(const fs::Dir& data, std::string& error);
  bool writable() const { return write_; }
  // The open transaction's id: for a read, the last commit it sees (any
  // process's). serve's watches compare it to learn that the store changed.
  uint64_t txn_id() const;
  // The last commit the data file's meta pages record: ahead of txn_id()
  // for a moment after another process wrote them, before LMDB published
  // the commit to new readers. 0 when it cannot be read.
  uint64_t meta_txn_id();
  // Batch and serve: from now on every Store of this process shares one
  // read-only environment (opened at first use, kept open; closed and
  // reopened after a fault) and only begins its own read transaction, from
  // any thread. The fault guard works per thread, and so does the 10 s
  // deadline of a wait on Linux (none there elsewhere). Writes and creation are refused there: they set a
  // per-thread flag, and batch/serve run such a request as a child process.
  static void share_environments();
  static bool sharing();
  // Whether an in-process request on this thread wanted to write (clears it).
  static bool take_wants_process();
  // Clears reader slots of processes that died (serve, periodically).
  static void check_readers();

  // Values stay valid until the transaction ends.
  std::optional<std::string_view> get(std::string_view key, std::string& error);
  bool put(std::string_view key, std::string_view value, std::string& error);
  bool del(std::string_view key, std::string& error);
  // Calls fn(key, value) for every key starting with prefix, in key order.
  bool scan(std::string_view prefix,
            const std::function<void(std::string_view, std::string_view)>& fn,
            std::string& error);
  bool commit(std::string& error);
  void close();  // ends the transaction (abort if not committed) and the environment
  // For a process about to exit: ends the transaction and leaves unmapping,
  // closing and unlocking to the kernel (five system calls fewer).
  void leave_for_exit();

  // After a committed change that removed secrets (an account, the records
  // sealed under an old passphrase): LMDB copies pages on write, so the old
  // copies stay readable in the file's free pages until reused. This runs
  // write transactions that rewrite every live page until every page that
  // was free has been reused (overwritten), or fails with the reason. No
  // transaction may be open on this Store.
  bool scrub_free_pages(std::string& error);

  // Checks every page, the free list's included (store/pages.h), walks every
  // key and compares with LMDB's own bookkeeping; a description of the first
  // problem, or "" when consistent.
  std::string verify(size_t& keys);

 private:
  // `store`: the opened hvym.lmdb folder (or a creation's); `known`: what
  // data.mdb in it is, when the caller looked already.
  bool open_env(const fs::Dir& store, bool write, bool fresh, std::string& error,
                const fs::Entry* known);
  bool open_env_alone(const fs::Dir& store, bool write, bool fresh, std::string& error,
                      const fs::Entry* known, bool begin_txn = true);
  bool begin(std::string& error);  // the transaction on env_
  // What the open transaction did, for HVYM_STORE_TRACE.
  enum : uint8_t { kRead = 1, kReadOther = 2, kWroteConfig = 4, kWroteCache = 8, kWroteOther = 16 };
  uint8_t touched_ = 0;
  void read_key(std::string_view key_or_prefix);
  void wrote_key(std::string_view key);
  void end_traced(bool committed);  // the transaction ends: its events
  void faulted();                  // after the guard caught a fault
  void leave_shared();
  std::string_view keep(std::string_view mapped);  // a copy owned by this Store
  std::forward_list<std::string> kept_;  // allocates nothing until used
  bool abandoned_ = false;  // faulted: the environment is left to the kernel
  MDB_env* env_ = nullptr;
  bool shared_ = false;   // env_ is the process's shared environment
  MDB_txn* txn_ = nullptr;
  unsigned dbi_ = 0;
  bool write_ = false;
  std::string where_;
};

}  // namespace hvym
