// store-holder DIR MODE [N]: an LMDB user that misbehaves, for the tests.
//   write SECONDS  begins a write transaction on DIR (an hvym.lmdb folder),
//                  prints "holding", keeps the writer lock SECONDS, commits
//   read           begins one read transaction, prints "holding", sleeps
//                  (SIGKILL it: a reader that died inside its snapshot)
//   readers N      begins N read transactions (N reader slots), prints
//                  "holding", sleeps (SIGKILL it: N dead slots)
//   get KEY        prints KEY's value
//   put KEY VALUE  writes it (a local user tampering with the store)
//   handoff        (POSIX) begins a write transaction, prints "holding",
//                  reads a pid from its input, commits (which wakes the
//                  first waiter for the lock: that pid), kills that pid at
//                  once and takes the lock again before it could, holds it
//                  a second and commits: the wake-up the killed waiter took
//                  along is lost to the others (the lock word no longer says
//                  there are waiters)
// Uses LMDB's C API directly, as another program sharing the store would.
#include <lmdb.h>
#ifdef _WIN32
#include <windows.h>
static void sleep_s(unsigned s) { Sleep(s * 1000); }
static void pause_forever() { Sleep(INFINITE); }
#else
#include <signal.h>
#include <unistd.h>
static void sleep_s(unsigned s) { sleep(s); }
static void pause_forever() { pause(); }
#endif

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

static int fail(const char* what, int rc) {
  std::fprintf(stderr, "store-holder: %s: %s\n", what, mdb_strerror(rc));
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: store-holder DIR write SECONDS | read | readers N\n");
    return 2;
  }
  const char* mode = argv[2];
  int n = argc > 3 ? std::atoi(argv[3]) : 1;
  bool edit = std::strcmp(mode, "get") == 0 || std::strcmp(mode, "put") == 0;
  if (edit && argc < (mode[0] == 'g' ? 4 : 5)) {
    std::fprintf(stderr, "usage: store-holder DIR get KEY | put KEY VALUE\n");
    return 2;
  }
  MDB_env* env;
  int rc = mdb_env_create(&env);
  if (rc == 0) rc = mdb_env_set_mapsize(env, size_t{64} << 20);
  if (rc == 0) rc = mdb_env_set_maxreaders(env, 510);
  if (rc == 0) rc = mdb_env_open(env, argv[1], MDB_NOTLS, 0600);
  if (rc) return fail("open", rc);
  if (edit) {
    MDB_txn* txn;
    MDB_dbi dbi;
    bool put = mode[0] == 'p';
    if ((rc = mdb_txn_begin(env, nullptr, put ? 0 : MDB_RDONLY, &txn)) || (rc = mdb_dbi_open(txn, nullptr, 0, &dbi)))
      return fail("begin", rc);
    MDB_val k{std::strlen(argv[3]), argv[3]}, v;
    if (put) {
      v = {std::strlen(argv[4]), argv[4]};
      if ((rc = mdb_put(txn, dbi, &k, &v, 0)) || (rc = mdb_txn_commit(txn))) return fail("put", rc);
    } else {
      if ((rc = mdb_get(txn, dbi, &k, &v))) return fail("get", rc);
      std::fwrite(v.mv_data, 1, v.mv_size, stdout);
      mdb_txn_abort(txn);
    }
    mdb_env_close(env);
    return 0;
  }
#ifndef _WIN32
  if (std::strcmp(mode, "handoff") == 0) {
    MDB_txn* txn;
    if ((rc = mdb_txn_begin(env, nullptr, 0, &txn))) return fail("begin", rc);
    std::printf("holding\n");
    std::fflush(stdout);
    char line[32] = "";
    if (!std::fgets(line, sizeof line, stdin)) return 2;
    pid_t woken = static_cast<pid_t>(std::atol(line));
    if ((rc = mdb_txn_commit(txn))) return fail("commit", rc);  // wakes one waiter: the first
    kill(woken, SIGKILL);
    if ((rc = mdb_txn_begin(env, nullptr, 0, &txn))) return fail("begin again", rc);
    sleep_s(1);
    if ((rc = mdb_txn_commit(txn))) return fail("commit again", rc);
    mdb_env_close(env);
    return 0;
  }
#endif
  if (std::strcmp(mode, "write") == 0) {
    MDB_txn* txn;
    if ((rc = mdb_txn_begin(env, nullptr, 0, &txn))) return fail("begin", rc);
    std::printf("holding\n");
    std::fflush(stdout);
    sleep_s(static_cast<unsigned>(n));
    if ((rc = mdb_txn_commit(txn))) return fail("commit", rc);
    mdb_env_close(env);
    return 0;
  }
  int count = std::strcmp(mode, "readers") == 0 ? n : 1;
  std::vector<MDB_txn*> txns;
  for (int i = 0; i < count; ++i) {
    MDB_txn* txn;
    if ((rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn))) {
      std::fprintf(stderr, "store-holder: %d readers\n", i);
      if (i == 0) return fail("begin", rc);
      break;
    }
    txns.push_back(txn);
  }
  std::printf("holding %zu\n", txns.size());
  std::fflush(stdout);
  while (true) pause_forever();
}
