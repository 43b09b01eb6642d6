// A client for `hvym serve` (scripts/bench): sends one request at a time and
// waits for its answer, N times, then prints the median and 99th percentile
// round trip in microseconds and the queries per second.
//   serve-bench SOCKET N 'REQUEST-LINE'
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

static double now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: serve-bench SOCKET N REQUEST\n");
    return 2;
  }
  int n = std::atoi(argv[2]);
  std::string request = std::string(argv[3]) + "\n";
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("connect");
    return 1;
  }
  std::vector<double> rtt;
  rtt.reserve(n);
  char buf[65536];
  std::string pending;
  double start = now_us();
  for (int i = 0; i < n; ++i) {
    double t0 = now_us();
    if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) return 1;
    while (pending.find('\n') == std::string::npos) {
      ssize_t got = read(fd, buf, sizeof buf);
      if (got <= 0) return 1;
      pending.append(buf, static_cast<size_t>(got));
    }
    rtt.push_back(now_us() - t0);
    if (i == 0 && pending.find("\"exit\": 0") == std::string::npos) {
      std::fprintf(stderr, "unexpected answer: %s", pending.c_str());
      return 1;
    }
    pending.erase(0, pending.find('\n') + 1);
  }
  double total = now_us() - start;
  std::sort(rtt.begin(), rtt.end());
  std::printf("%.1f %.1f %.0f\n", rtt[rtt.size() / 2], rtt[rtt.size() * 99 / 100], n / (total / 1e6));
  return 0;
}
