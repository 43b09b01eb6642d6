/* tests/bench/watch.py's stand-in, built static: with -LPORT:HOST:PORT (as
   pinggy is given) it serves 200 on 127.0.0.1:PORT, pinggy's debugger, as
   tests/cli/fake_pinggy.py does but started in a millisecond; without, it
   sleeps until SIGTERM (the command of the tiny image's container). */
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void bye(int s) {
  (void)s;
  _exit(0);
}

int main(int argc, char** argv) {
  signal(SIGTERM, bye);
  signal(SIGINT, bye);
  int port = 0;
  for (int i = 1; i < argc; i++)
    if (strncmp(argv[i], "-L", 2) == 0) port = atoi(argv[i] + 2);
  if (port == 0)
    for (;;) pause();
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(0x7f000001)};
  if (bind(s, (struct sockaddr*)&a, sizeof a) != 0 || listen(s, 64) != 0) return 1;
  static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  for (;;) {
    int c = accept(s, 0, 0);
    if (c < 0) continue;
    char buf[4096];
    size_t got = 0;
    ssize_t n;
    /* the request's head, then the answer */
    while (got < sizeof buf - 1 && (n = read(c, buf + got, sizeof buf - 1 - got)) > 0) {
      got += (size_t)n;
      buf[got] = 0;
      if (strstr(buf, "\r\n\r\n")) break;
    }
    if (write(c, ok, sizeof ok - 1) < 0) {}
    close(c);
  }
}
