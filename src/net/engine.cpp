#include "net/engine.h"

#include <simdjson.h>

#include <map>

#include "net/docker.h"
#include "net/docker_endpoint.h"
#include "net/http.h"

namespace hvym {
namespace {

// A pull's progress stream is read as it comes, within these bounds.
constexpr size_t kMaxProgressLine = size_t{1} << 20;
constexpr size_t kMaxLayers = 10000;

// Text from the engine, fit for a message: printable, one line, bounded.
std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 300)) out += c < 0x20 || c == 0x7F ? '?' : static_cast<char>(c);
  return out;
}

// What a refusal says: the engine's "message", else its status.
std::string message_of(int status, const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  std::string_view m;
  if (!body.empty() && parser.parse(body).get(e) == simdjson::SUCCESS &&
      e["message"].get(m) == simdjson::SUCCESS && !m.empty())
    return printable(m);
  std::string said = printable(body);
  bool empty = said.find_first_not_of(" {}[]\"") == std::string::npos;  // {} says nothing
  return "the Docker engine answered status " + std::to_string(status) + (empty ? "" : ": " + said);
}

// The states of a layer that is all there.
bool layer_done(std::string_view status) {
  return status == "Download complete" || status == "Pull complete" || status == "Already exists";
}

// A pull's progress stream, read as it comes and drawn on a Progress. It is
// one JSON object a line: {"status","id","progressDetail":{"current",
// "total"}} or {"error"}. Bytes are summed over layers.
class PullStream {
 public:
  explicit PullStream(Progress& progress) : progress_(progress) {}
  // A piece of the body: its complete lines are read. False to stop.
  bool take(std::string_view chunk);
  // What is left after the body ended: a last line without its newline.
  void finish() { read_line(pending_); }
  // The engine's error, or why the stream was not read to its end.
  const std::string& error() const { return error_; }

 private:
  struct Layer { uint64_t current = 0, total = 0; std::string status; };
  void read_line(std::string_view line);
  void update_layer(std::string_view id, std::string_view status, uint64_t current, uint64_t total);
  void draw();

  Progress& progress_;
  std::map<std::string, Layer> layers_;
  std::string pending_, error_;
  simdjson::dom::parser parser_;
};

bool PullStream::take(std::string_view chunk) {
  if (!error_.empty()) return false;  // the engine said it failed, or sent too much
  if (pending_.size() + chunk.size() > kMaxProgressLine) {
    error_ = "the engine's progress line is over 1 MiB";
    return false;
  }
  pending_.append(chunk);
  size_t nl;
  while ((nl = pending_.find('\n')) != std::string::npos) {
    read_line(std::string_view(pending_).substr(0, nl));
    pending_.erase(0, nl + 1);
  }
  return true;
}

void PullStream::read_line(std::string_view line) {
  simdjson::dom::element e;
  if (line.empty() || parser_.parse(line.data(), line.size()).get(e) != simdjson::SUCCESS) return;
  std::string_view s;
  if (e["error"].get(s) == simdjson::SUCCESS) {
    error_ = std::string(s);
    return;
  }
  // Absent fields keep their empty values.
  std::string_view id, status;
  uint64_t current = 0, total = 0;
  if (e["id"].get(id)) id = {};
  if (e["status"].get(status)) status = {};
  if (e["progressDetail"]["current"].get(current)) current = 0;
  if (e["progressDetail"]["total"].get(total)) total = 0;
  if (id.empty()) {
    if (!status.empty()) progress_.line(std::string(status));
    return;
  }
  update_layer(id, status, current, total);
}

void PullStream::update_layer(std::string_view id, std::string_view status, uint64_t current, uint64_t total) {
  if (layers_.size() >= kMaxLayers && !layers_.count(std::string(id))) {
    error_ = "the engine reports more than " + std::to_string(kMaxLayers) + " layers";
    return;
  }
  Layer& l = layers_[std::string(id)];
  if (total) l.total = total;
  if (current) l.current = current;
  if (layer_done(status)) l.current = l.total;
  bool changed = status != l.status;
  l.status = std::string(status);
  if (changed) draw();
}

// Bytes when the engine reports them (Docker does); else layers done of
// layers seen (podman reports only each layer's state).
void PullStream::draw() {
  uint64_t sum = 0, all = 0, finished = 0;
  for (auto& [_, layer] : layers_) {
    sum += layer.current, all += layer.total;
    finished += layer_done(layer.status);
  }
  if (all) progress_.update(sum, all);
  else progress_.update_items(finished, layers_.size(), "layers");
}

}  // namespace

bool Engine::locate(std::string& error) {
  DockerEndpoint e = docker_endpoint();
  socket_ = e.socket;
  if (socket_.empty()) {
    error = "the Docker endpoint " + printable(e.host) + " (" + printable(e.from) +
            ") is not a unix socket or named pipe; hvym talks to the engine on one of those";
    return false;
  }
  return true;
}

EngineReply Engine::call(std::string_view method, std::string_view path, std::string_view body,
                         int timeout_ms) {
  HttpRequest req;
  req.method = method;
  req.path = path;
  req.body = body;
  req.timeout_ms = timeout_ms;
  HttpAnswer a = http_engine(socket_, req);
  EngineReply r;
  if (a.state != HttpAnswer::Answered) {
    r.message = a.state == HttpAnswer::Absent || a.state == HttpAnswer::Refused
                    ? "no Docker engine answers at " + socket_
                    : "the Docker engine at " + socket_ + ": " + a.detail;
    return r;
  }
  r.reached = true;
  r.status = a.status;
  r.body = std::move(a.body);
  if (!r.ok()) r.message = message_of(r.status, r.body);
  return r;
}

EngineReply Engine::get(std::string_view path, int timeout_ms) { return call("GET", path, {}, timeout_ms); }
EngineReply Engine::post(std::string_view path, std::string_view json, int timeout_ms) {
  return call("POST", path, json, timeout_ms);
}
EngineReply Engine::remove(std::string_view path, int timeout_ms) {
  return call("DELETE", path, {}, timeout_ms);
}

EngineReply Engine::pull(const std::string& image_ref, Progress& progress) {
  size_t colon = image_ref.rfind(':');
  std::string repo = image_ref.substr(0, colon), tag = image_ref.substr(colon + 1);
  std::string path = "/images/create?fromImage=" + url_encode(repo) + "&tag=" + url_encode(tag);

  PullStream stream(progress);
  HttpRequest req;
  req.method = "POST";
  req.path = path;
  req.timeout_ms = 60000;
  req.idle_ms = 120000;          // a slow registry may pause, but not forever
  req.total_ms = 30 * 60 * 1000;  // nor trickle forever (the exclusive lock is held meanwhile)
  req.on_body = [&](std::string_view chunk) { return stream.take(chunk); };
  HttpAnswer a = http_engine(socket_, req);
  stream.finish();
  progress.done();
  EngineReply r;
  if (a.state == HttpAnswer::Absent || a.state == HttpAnswer::Refused) {
    r.message = "no Docker engine answers at " + socket_;
    return r;
  }
  r.reached = a.state == HttpAnswer::Answered || a.state == HttpAnswer::TimedOut;
  r.status = a.status;
  if (a.state == HttpAnswer::TimedOut) r.status = 504, r.message = "the pull stalled";
  else if (!stream.error().empty()) r.status = 500, r.message = stream.error();
  else if (a.state != HttpAnswer::Answered) r.message = a.detail;
  else if (!r.ok()) r.message = "the engine refused the pull (status " + std::to_string(a.status) + ")";
  return r;
}

}  // namespace hvym
