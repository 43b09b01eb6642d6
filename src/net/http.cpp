#include "net/http.h"

#include <cstring>

#include "platform/net.h"
#include "platform/process.h"

namespace hvym {
namespace {

HttpAnswer fail(HttpAnswer::State s, std::string detail) {
  HttpAnswer a;
  a.state = s;
  a.detail = std::move(detail);
  return a;
}

// Reads what the peer sends, within deadlines; buffers what is not consumed.
class Reader {
 public:
  Reader(net::Stream& stream, long long deadline, int idle_ms, long long hard_deadline)
      : stream_(stream), deadline_(std::min(deadline, hard_deadline)), idle_ms_(idle_ms), hard_(hard_deadline) {}
  // More bytes into buf_; false at end of stream or when the wait ran out.
  bool fill() {
    char tmp[16384];
    long long n = stream_.receive(tmp, sizeof tmp, deadline_);
    if (n == -2) timed_out_ = true;
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  void body_started() { idle_ = true; }
  // A line ending in CRLF (without it), or false.
  bool line(std::string& out) {
    size_t nl;
    while ((nl = buf_.find("\r\n")) == std::string::npos) {
      if (buf_.size() > 65536 || !refill()) return false;
    }
    out.assign(buf_, 0, nl);
    buf_.erase(0, nl + 2);
    return true;
  }
  // Up to n bytes to fn, as they come.
  bool take(size_t n, const std::function<bool(std::string_view)>& fn) {
    while (n) {
      if (buf_.empty() && !refill()) return false;
      size_t k = std::min(n, buf_.size());
      bool go = fn(std::string_view(buf_).substr(0, k));
      buf_.erase(0, k);
      n -= k;
      if (!go) return false;
    }
    return true;
  }
  // Everything until the peer closes.
  void rest(const std::function<bool(std::string_view)>& fn) {
    while (true) {
      if (!buf_.empty()) {
        if (!fn(buf_)) return;
        buf_.clear();
      }
      if (!refill()) return;
    }
  }
  bool timed_out() const { return timed_out_; }

 private:
  bool refill() {
    if (idle_) deadline_ = std::min(now_ms() + idle_ms_, hard_);
    return fill();
  }
  net::Stream& stream_;
  long long deadline_;
  int idle_ms_;
  long long hard_;  // the end of the whole exchange
  bool idle_ = false;
  bool timed_out_ = false;
  std::string buf_;
};

bool iprefix(std::string_view s, std::string_view lower_prefix) {
  if (s.size() < lower_prefix.size()) return false;
  for (size_t i = 0; i < lower_prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != lower_prefix[i]) return false;
  return true;
}

HttpAnswer::State state_of(net::Result r) {
  switch (r) {
    case net::Result::Ok: return HttpAnswer::Answered;
    case net::Result::Absent: return HttpAnswer::Absent;
    case net::Result::Refused: return HttpAnswer::Refused;
    case net::Result::Denied: return HttpAnswer::Denied;
    case net::Result::TimedOut: return HttpAnswer::TimedOut;
    case net::Result::Failed: break;
  }
  return HttpAnswer::Failed;
}

// One request on a connected stream, its answer read within the deadlines.
HttpAnswer exchange(net::Stream& stream, net::Result connected, std::string detail, long long deadline,
                    std::string_view host, const HttpRequest& req) {
  if (connected != net::Result::Ok) return fail(state_of(connected), std::move(detail));
  std::string msg;
  msg.append(req.method).append(" ").append(req.path).append(" HTTP/1.1\r\nHost: ").append(host);
  msg.append("\r\nUser-Agent: hvym\r\nAccept: */*\r\nConnection: close\r\n");
  if (!req.body.empty() || req.method == "POST") {
    if (!req.body.empty()) msg.append("Content-Type: application/json\r\n");
    msg.append("Content-Length: ").append(std::to_string(req.body.size())).append("\r\n");
  }
  msg.append("\r\n").append(req.body);
  net::Result why;
  if (!stream.send_all(msg, deadline, why, detail)) return fail(state_of(why), std::move(detail));

  long long hard = now_ms() + (req.total_ms > 0 ? req.total_ms : 2LL * req.timeout_ms);
  Reader in(stream, deadline, req.idle_ms ? req.idle_ms : req.timeout_ms, hard);
  std::string line;
  if (!in.line(line))
    return in.timed_out() ? fail(HttpAnswer::TimedOut, "no answer in time")
                          : fail(HttpAnswer::Failed, "not an HTTP answer");
  // "HTTP/1.x NNN reason"
  if (line.size() < 12 || line.compare(0, 5, "HTTP/") != 0 || line[8] != ' ')
    return fail(HttpAnswer::Failed, "not an HTTP answer");
  HttpAnswer a;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return fail(HttpAnswer::Failed, "not an HTTP answer");
    a.status = a.status * 10 + (line[i] - '0');
  }
  a.state = HttpAnswer::Answered;
  if (req.status_only) return a;

  long long length = -1;
  bool chunked = false;
  while (true) {
    if (!in.line(line)) return fail(HttpAnswer::Failed, "the answer's headers broke off");
    if (line.empty()) break;
    if (iprefix(line, "content-length:")) length = std::atoll(line.c_str() + 15);
    if (iprefix(line, "transfer-encoding:") && line.find("chunked") != std::string::npos) chunked = true;
  }
  in.body_started();
  bool too_long = false;
  auto sink = req.on_body ? req.on_body : [&a, &req, &too_long](std::string_view s) {
    if (a.body.size() + s.size() > req.max_body) return too_long = true, false;
    a.body.append(s);
    return true;
  };
  if (chunked) {
    while (in.line(line)) {
      size_t size = std::strtoul(line.c_str(), nullptr, 16);
      if (size == 0) break;
      if (!in.take(size, sink) || !in.line(line)) break;
    }
  } else if (length >= 0) {
    in.take(static_cast<size_t>(length), sink);
  } else {
    in.rest(sink);
  }
  if (too_long) {
    a.state = HttpAnswer::Failed;
    a.detail = "the answer is over " + std::to_string(req.max_body >> 20) + " MiB";
    a.body.clear();
  } else if (in.timed_out()) {
    a.state = HttpAnswer::TimedOut;
    a.detail = "the answer stalled";
  }
  return a;
}

}  // namespace

std::string url_encode(std::string_view s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

HttpAnswer http_unix(const std::string& socket_path, const HttpRequest& request) {
  long long deadline = now_ms() + request.timeout_ms;
  net::Stream s;
  std::string detail;
  net::Result r = s.connect_unix(socket_path, deadline, detail);
  return exchange(s, r, std::move(detail), deadline, "docker", request);
}

HttpAnswer http_pipe(const std::string& pipe_name, const HttpRequest& request) {
  long long deadline = now_ms() + request.timeout_ms;
  net::Stream s;
  std::string detail;
  net::Result r = s.connect_pipe(pipe_name, deadline, detail);
  return exchange(s, r, std::move(detail), deadline, "docker", request);
}

HttpAnswer http_loopback(uint16_t port, const HttpRequest& request) {
  long long deadline = now_ms() + request.timeout_ms;
  net::Stream s;
  std::string detail;
  net::Result r = s.connect_loopback(port, deadline, detail);
  return exchange(s, r, std::move(detail), deadline, "127.0.0.1:" + std::to_string(port), request);
}

}  // namespace hvym
