// The floor for `hvym serve` (scripts/bench): a unix-socket server that
// answers every line with a fixed line of the same size as hvym's answer and
// does nothing else, waiting for lines the way hvym serve does (a short
// spin, then poll). Its round trip is what the kernel and the scheduler
// cost on this machine.
//   serve-floor SOCKET
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include <cstring>
#include <string>

static long long now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  unlink(argv[1]);
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  if (l < 0 || bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(l, 8) != 0) return 1;
  const std::string answer =
      "[{\"cmd\": \"pintheon-port\", \"exit\": 0, \"stdout\": \"12345\\n\", \"stderr\": \"\", \"value\": 12345}]\n";
  while (true) {
    int fd = accept(l, nullptr, nullptr);
    if (fd < 0) return 1;
    char buf[65536];
    long long spin_until = 0;
    while (true) {
      ssize_t n = -1;
      while (now_us() < spin_until && (n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) < 0 && errno == EAGAIN) {
      }
      if (n < 0) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, -1) < 0) break;
        n = read(fd, buf, sizeof buf);
      }
      if (n <= 0 || write(fd, answer.data(), answer.size()) < 0) break;
      spin_until = now_us() + 200;
    }
    close(fd);
  }
}
