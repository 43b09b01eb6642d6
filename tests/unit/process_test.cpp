// talk(), spawn_process() and the pipe helpers of process.h, on the
// platform the tests run on (Linux natively, Windows under wine), with
// tests/tools/talk-child.cpp as the child.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "platform/fs.h"
#include "platform/process.h"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "store/paths.h"

using namespace hvym;

namespace {

std::string child() {
  std::string exe = fs::self_exe();
  return exe.substr(0, exe.find_last_of("/\\") + 1) + HVYM_TALK_CHILD;
}

std::vector<std::string> cmd(std::vector<std::string> words) {
  words.insert(words.begin(), child());
  return words;
}

// Text without the \r a Windows child's text-mode output adds.
std::string plain(std::string s) {
  std::string out;
  for (char c : s)
    if (c != '\r') out += c;
  return out;
}

}  // namespace

TEST_CASE("talk: output, error and exit status") {
  Conversation c = talk({.argv = cmd({"out", "5", "err", "3", "exit", "7"})});
  REQUIRE(c.started);
  CHECK(c.out == "xxxxx");
  CHECK(c.err == "xxx");
  CHECK(c.status == 7);
  CHECK_FALSE(c.timed_out);
}

// qemu-user runs posix_spawn's vfork as a fork, so an exec that fails is
// reported as a child that exits 127 (scripts/cross-test sets HVYM_EMULATED).
bool emulated() { return std::getenv("HVYM_EMULATED") != nullptr; }

TEST_CASE("talk: a program that is not there") {
  Conversation c = talk({.argv = {child() + "-none"}});
  if (emulated() && c.started) {
    CHECK(c.status == 127);
    return;
  }
  CHECK_FALSE(c.started);
  CHECK_FALSE(c.error.empty());
}

TEST_CASE("talk: input larger than a pipe holds comes back whole") {
  std::string input;
  for (size_t i = 0; i < 300000; ++i) input += static_cast<char>('a' + i % 26);
  Conversation c = talk({.argv = cmd({"echo"}), .input = input, .max_out = 1 << 20, .timeout_ms = 20000});
  REQUIRE(c.started);
  CHECK(c.status == 0);
  CHECK(c.out.size() == input.size());
  CHECK(c.out == input);
}

TEST_CASE("talk: killed at the deadline") {
  long long start = now_ms();
  Conversation c = talk({.argv = cmd({"sleep", "20000"}), .timeout_ms = 300});
  CHECK(c.timed_out);
  CHECK(c.status < 0);
  CHECK(now_ms() - start < 5000);
}

TEST_CASE("talk: output over max_out") {
  Conversation kept = talk({.argv = cmd({"out", "300000"}), .max_out = 1000, .timeout_ms = 20000});
  CHECK(kept.status == 0);
  CHECK(kept.out.size() == 1000);
  CHECK_FALSE(kept.overflowed);
  Conversation killed = talk({.argv = cmd({"out", "3000000", "sleep", "20000"}), .max_out = 100000,
                              .kill_on_overflow = true, .timeout_ms = 20000});
  CHECK(killed.overflowed);
  CHECK_FALSE(killed.timed_out);
  CHECK(killed.out.size() + killed.err.size() <= 100000);
}

TEST_CASE("fd_readable: data or a closed write end") {
  int p[2];
  REQUIRE(make_pipe(p));
  CHECK_FALSE(fd_readable(p[0]));
  poke_fd(p[1]);
  CHECK(fd_readable(p[0]));
  int q[2];
  REQUIRE(make_pipe(q));
  close_fd(q[1]);
  CHECK(fd_readable(q[0]));
  CHECK(wait_readable(q[0], 1000));
  close_fd(p[0]), close_fd(p[1]), close_fd(q[0]);
}

TEST_CASE("talk: a cancel fd kills it") {
  int p[2];
  REQUIRE(make_pipe(p));
  std::thread later([&] {
    sleep_ms(200);
    poke_fd(p[1]);
  });
  long long start = now_ms();
  Conversation c = talk({.argv = cmd({"sleep", "20000"}), .timeout_ms = 20000, .cancel_fd = p[0]});
  later.join();
  CHECK(c.cancelled);
  CHECK_FALSE(c.timed_out);
  CHECK(now_ms() - start < 5000);
  close_fd(p[0]), close_fd(p[1]);
}

TEST_CASE("talk: variables added to the environment") {
  Conversation c = talk({.argv = cmd({"env", "HVYM_TALK_TEST", "env", "HVYM_TALK_NONE"}),
                         .env = {"HVYM_TALK_TEST=some value"}});
  CHECK(plain(c.out) == "some value\n<unset>\n");
}

TEST_CASE("talk: arguments come through as given") {
  std::vector<std::string> args = {"plain", "", "two words", "a\"quote", "back\\slash", "tail\\",
                                   "\\\"both\\\\\"", "tab\there", "\"", "\\\\server\\share", "caf\xc3\xa9"};
  std::vector<std::string> words = {"argv"};
  words.insert(words.end(), args.begin(), args.end());
  Conversation c = talk({.argv = cmd(words)});
  REQUIRE(c.status == 0);
  std::string expected;
  for (const std::string& a : args) expected += std::to_string(a.size()) + ":" + a + "\n";
  CHECK(plain(c.out) == expected);
}

TEST_CASE("talk: what it started does not hold it beyond its end") {
  long long start = now_ms();
  Conversation c = talk({.argv = cmd({"spawn", "sleep", "3000"}), .timeout_ms = 20000});
  CHECK(c.status == 0);
  CHECK_FALSE(c.timed_out);
  CHECK(now_ms() - start < 2500);
}

TEST_CASE("talk: its own group is killed whole") {
  Conversation c = talk({.argv = cmd({"spawn", "sleep", "30000", "then", "sleep", "30000"}), .timeout_ms = 1000,
                         .own_group = true});
  CHECK(c.timed_out);
  long grandchild = std::atol(plain(c.out).c_str());
  REQUIRE(grandchild > 0);
  long long give_up = now_ms() + 3000;
  while (pid_alive(grandchild, "talk-child") && now_ms() < give_up) sleep_ms(20);
  CHECK_FALSE(pid_alive(grandchild, "talk-child"));
}

TEST_CASE("procargs_mention reads the arguments of a KERN_PROCARGS2 answer (macOS's pid_alive)") {
  auto answer = [](int32_t argc, std::string rest) {
    std::string s(sizeof argc, '\0');
    std::memcpy(s.data(), &argc, sizeof argc);
    return s + rest;
  };
  using namespace std::string_literals;
  std::string tunnel = answer(3, "/usr/bin/ssh\0\0\0\0ssh\0-R0:localhost:9000\0a.pinggy.io\0HOME=/Users/u\0"s);
  CHECK(procargs_mention(tunnel, "pinggy"));
  CHECK(procargs_mention(tunnel, "-R0:local"));
  CHECK_FALSE(procargs_mention(tunnel, "HOME"));  // the environment is not the command line
  std::string other = answer(2, "/usr/bin/pinggy-like\0\0vim\0notes\0PINGGY=pinggy\0"s);
  CHECK_FALSE(procargs_mention(other, "pinggy"));  // neither the executable's path nor the environment
  CHECK(procargs_mention(answer(1, "/bin/a\0pinggy"s), "pinggy"));  // cut short: what is there
  CHECK_FALSE(procargs_mention(answer(5, "/bin/a"s), "a"));
  CHECK_FALSE(procargs_mention(std::string("\1\0", 2), "pinggy"));
  CHECK_FALSE(procargs_mention("", "pinggy"));
}

TEST_CASE("spawn_process, process_ended and wait_process") {
  std::string error;
  long pid = spawn_process(cmd({"sleep", "300", "exit", "3"}), {}, error);
  REQUIRE(pid > 0);
  sleep_ms(50);  // Linux: its command line is there only once exec is done
  CHECK(pid_alive(pid, "talk-child"));
  int status = -100;
  CHECK_FALSE(process_ended(pid, status));
  long long give_up = now_ms() + 10000;
  while (!process_ended(pid, status) && now_ms() < give_up) sleep_ms(20);
  CHECK(status == 3);

  long sleeper = spawn_process(cmd({"sleep", "20000"}), {}, error);
  REQUIRE(sleeper > 0);
  CHECK(terminate_process(sleeper, true));
  CHECK(wait_process(sleeper) < 0);
  long none = spawn_process({child() + "-none"}, {}, error);
  if (emulated() && none > 0) {
    CHECK(wait_process(none) == 127);
    return;
  }
  CHECK(none < 0);
  CHECK_FALSE(error.empty());
}

#ifndef _WIN32
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/window.h"

TEST_CASE("a question's folder left by a killed hvym is removed by the next") {
  char base_t[] = "/tmp/hvym-unit-XXXXXX";
  REQUIRE(mkdtemp(base_t));
  std::string base = base_t;
  pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);  // a pid that no longer runs
  std::string stale = base + "/hvym-ask-" + std::to_string(gone) + "-abc123";
  std::string live = base + "/hvym-ask-" + std::to_string(getpid()) + "-def456";
  std::string other = base + "/hvym-ask-notapid";
  for (const std::string& d : {stale, live, other}) REQUIRE(mkdir(d.c_str(), 0700) == 0);
  REQUIRE(mkfifo((stale + "/q").c_str(), 0600) == 0);
  REQUIRE(mkfifo((stale + "/a").c_str(), 0600) == 0);
  const char* was = std::getenv("XDG_RUNTIME_DIR");
  std::string saved = was ? was : "";
  setenv("XDG_RUNTIME_DIR", base.c_str(), 1);
  {
    window::Fifos f;
    std::string error;
    REQUIRE(f.make(error));
    CHECK(f.dir().find("/hvym-ask-" + std::to_string(getpid()) + "-") != std::string::npos);
    struct stat st;
    CHECK(stat(stale.c_str(), &st) != 0);  // swept
    CHECK(stat(live.c_str(), &st) == 0);   // its hvym runs
    CHECK(stat(other.c_str(), &st) == 0);  // not a name of ours
  }
  if (was) setenv("XDG_RUNTIME_DIR", saved.c_str(), 1);
  else unsetenv("XDG_RUNTIME_DIR");
  for (const std::string& d : {live, other}) rmdir(d.c_str());
  rmdir(base.c_str());
}
#endif
