// store-hammer: drives the real hvym binary from many processes at once, or
// kills its writers at random moments, then checks what the store says.
//
//   store-hammer --hvym PATH [--home DIR] concurrent [--procs 8] [--rounds 500]
//     (HVYM_RACE_ROUNDS, when lower, bounds --rounds: emulated runs)
//   store-hammer --hvym PATH [--home DIR] kill [--times 200]
//
// Without --home it works in a fresh temporary folder and removes it after.
// Exit 0 when every check held; otherwise the first failures on stderr, exit 1.
#include <cxxopts.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

std::string g_hvym;
std::string g_home;

struct Run {
  int status = -1;  // exit code, or -signal
  std::string out;
};

pid_t spawn(const std::vector<std::string>& args, int* out_fd) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(g_hvym.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::string home = "HVYM_HOME=" + g_home;
  char* envp[] = {const_cast<char*>(home.c_str()), const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
  int p[2];
  if (pipe(p) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  pid_t pid;
  int rc = posix_spawn(&pid, g_hvym.c_str(), &fa, nullptr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  if (rc != 0) {
    close(p[0]);
    return -1;
  }
  *out_fd = p[0];
  return pid;
}

int wait_status(pid_t pid) {
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -100;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

Run run(const std::vector<std::string>& args) {
  Run r;
  int fd;
  pid_t pid = spawn(args, &fd);
  if (pid < 0) return r;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) r.out.append(buf, static_cast<size_t>(n));
  close(fd);
  r.status = wait_status(pid);
  return r;
}

std::string platform_suffix() {
  Run r = run({"pintheon-dapp"});
  // pintheon-<network>-<platform>\n; the platform is what follows the network.
  size_t second = r.out.find('-', std::strlen("pintheon-"));
  return r.out.substr(second, r.out.size() - second - 1);
}

int fail(const std::string& what) {
  std::fprintf(stderr, "store-hammer: %s\n", what.c_str());
  return 1;
}

// One worker process of the concurrent test.
int worker(int id, int rounds, const std::string& suffix) {
  // Tokens look like p<id>r<round>; a torn read would not.
  static const std::regex token_re("^p([0-9]+)r([0-9]+)\n$");
  static const std::regex list_re(
      "\"pintheon_dapp\": \"pintheon-([a-z]+)" + suffix + "\", \"pintheon_networks\": \\[\"([a-z]+)\"");
  for (int r = 0; r < rounds; ++r) {
    std::string token = "p" + std::to_string(id) + "r" + std::to_string(r);
    Run s = run({"config", "set", "pinggy_token", token});
    if (s.status != 0) return fail("worker " + std::to_string(id) + ": set exited " + std::to_string(s.status));
    Run g = run({"config", "get", "pinggy_token"});
    if (g.status != 0 || !std::regex_match(g.out, token_re))
      return fail("worker " + std::to_string(id) + ": get gave '" + g.out + "' exit " + std::to_string(g.status));
    if (r % 5 == 0) {
      Run n = run({"pintheon-set-network", (id + r) % 2 ? "mainnet" : "testnet"});
      if (n.status != 0) return fail("set-network exited " + std::to_string(n.status));
      Run l = run({"config", "list", "--json"});
      std::smatch m;
      if (l.status != 0 || !std::regex_search(l.out, m, list_re) || m[1] != m[2])
        return fail("worker " + std::to_string(id) + ": inconsistent snapshot: " + l.out);
    }
  }
  return 0;
}

int concurrent(int procs, int rounds) {
  std::string suffix = platform_suffix();
  std::vector<pid_t> kids;
  for (int i = 0; i < procs; ++i) {
    pid_t pid = fork();
    if (pid == 0) _exit(worker(i, rounds, suffix));
    kids.push_back(pid);
  }
  int failed = 0;
  for (pid_t k : kids) failed += wait_status(k) != 0;
  if (failed) return fail(std::to_string(failed) + " of " + std::to_string(procs) + " workers failed");
  Run g = run({"config", "get", "pinggy_token"});
  std::smatch m;
  static const std::regex token_re("^p([0-9]+)r([0-9]+)\n$");
  if (!std::regex_match(g.out, m, token_re) || std::stoi(m[1]) >= procs || std::stoi(m[2]) >= rounds)
    return fail("final token '" + g.out + "' is no value any worker wrote");
  Run v = run({"config", "verify"});
  if (v.status != 0) return fail("verify after the run: " + v.out);
  std::printf("concurrent: %d processes x %d rounds, final token %s", procs, rounds, g.out.c_str());
  return 0;
}

int kill_test(int times) {
  // Kill at a random moment within about one write's duration, measured here.
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) run({"config", "set", "pinggy_token", "warm"});
  auto one = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0) / 5;
  std::mt19937 rng(12345);
  std::uniform_int_distribution<long> delay_us(0, static_cast<long>(one.count() * 6 / 5));
  int killed_running = 0;
  for (int i = 0; i < times; ++i) {
    int fd;
    std::vector<std::string> args =
        i % 3 == 2 ? std::vector<std::string>{"pintheon-set-network", i % 2 ? "mainnet" : "testnet"}
                   : std::vector<std::string>{"config", "set", "pinggy_token", "k" + std::to_string(i)};
    pid_t pid = spawn(args, &fd);
    if (pid < 0) return fail("cannot spawn hvym");
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    kill(pid, SIGKILL);
    close(fd);
    if (wait_status(pid) == -SIGKILL) ++killed_running;
    Run v = run({"config", "verify"});
    if (v.status != 0 || (v.out.rfind("consistent", 0) != 0 && v.out.rfind("no store", 0) != 0))
      return fail("after kill " + std::to_string(i) + ": verify exit " + std::to_string(v.status) + ": " + v.out);
    Run q = run({"pintheon-port"});
    if (q.status != 0) return fail("after kill " + std::to_string(i) + ": pintheon-port exit " + std::to_string(q.status));
  }
  // The write lock must not be left held by a dead writer.
  Run s = run({"config", "set", "pinggy_token", "after"});
  Run g = run({"pinggy-token"});
  if (s.status != 0 || g.out != "after\n") return fail("a write after the kills did not land: " + g.out);
  std::printf("kill: %d writers killed, %d of them mid-run; store consistent after each\n", times,
              killed_running);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  cxxopts::Options opts("store-hammer", "Concurrency and crash tests of hvym's config store");
  opts.add_options()("hvym", "hvym binary", cxxopts::value<std::string>())(
      "home", "HVYM_HOME for every run", cxxopts::value<std::string>())(
      "procs", "concurrent processes", cxxopts::value<int>()->default_value("8"))(
      "rounds", "rounds per process", cxxopts::value<int>()->default_value("500"))(
      "times", "writers to kill", cxxopts::value<int>()->default_value("200"))(
      "mode", "concurrent or kill", cxxopts::value<std::string>())("h,help", "this help");
  opts.parse_positional({"mode"});
  cxxopts::ParseResult args;
  try {
    args = opts.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    std::fprintf(stderr, "store-hammer: %s\n", e.what());
    return 2;
  }
  if (args.count("help") || !args.count("hvym") || !args.count("mode")) {
    std::fputs(opts.help().c_str(), stderr);
    return 2;
  }
  g_hvym = args["hvym"].as<std::string>();
  std::string scratch;
  if (args.count("home")) {
    g_home = args["home"].as<std::string>();
  } else {
    // On /dev/shm when it has room, as the CLI tests' scratch folders
    // (tests/cli/clitest.py): no fsync per commit, which on a busy disk was
    // most of this run's time. HVYM_TEST_ON_DISK=1 or TMPDIR keeps it on disk.
    std::string base = "/tmp";
    struct statvfs shm;
    if (const char* t = std::getenv("TMPDIR"); t && *t) {
      base = t;
    } else if (!std::getenv("HVYM_TEST_ON_DISK") && statvfs("/dev/shm", &shm) == 0 &&
               static_cast<unsigned long long>(shm.f_bavail) * shm.f_frsize >= (2ULL << 30) &&
               access("/dev/shm", W_OK | X_OK) == 0) {
      base = "/dev/shm";
    }
    std::string tmpl = base + "/store-hammer.XXXXXX";
    if (!mkdtemp(tmpl.data())) return fail("cannot make a temporary folder");
    g_home = scratch = tmpl;
  }
  std::string mode = args["mode"].as<std::string>();
  // An emulated run (scripts/cross-test) shortens the races: HVYM_RACE_ROUNDS,
  // when lower, bounds the rounds too.
  int rounds = args["rounds"].as<int>();
  if (const char* r = std::getenv("HVYM_RACE_ROUNDS"); r && std::atoi(r) > 0) rounds = std::min(rounds, std::atoi(r));
  int status = mode == "concurrent" ? concurrent(args["procs"].as<int>(), rounds)
               : mode == "kill"     ? kill_test(args["times"].as<int>())
                                    : fail("unknown mode " + mode);
  if (!scratch.empty()) std::filesystem::remove_all(scratch);
  return status;
}
