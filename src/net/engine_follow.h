// serve's view of the Docker engine, kept from the engine's event stream
// (GET /events, images and containers): whether the images it was asked
// about are there, and the Pintheon container's state. While the stream is
// connected, probes through serve answer from it without asking the
// engine; an event makes the follower ask the engine once for what it
// tracks, however many events came together (docs/protocol.md, "Where
// answers come from"). One per server, started by cli/watch.cpp; in a
// process without one (every one-shot call) nothing here does anything.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace hvym::engine_follow {

// Starts following the engine at `where` (a unix socket, or a named pipe,
// as engine_socket() names it) on a thread of its own. `on_change` runs on
// that thread whenever what it knows may have changed: the stream went live
// or down, an image it tracks or the container changed. Once per process;
// false when it could not start (or `where` is empty: tcp://, ssh://).
bool start(const std::string& where, std::function<void()> on_change);

// "live" while the stream is connected and its state read; "probing"
// otherwise (no follower, no engine, a cut, garbage: answers ask the engine).
bool live();

// Whether `image` is in the engine at `where`, when the stream is live and
// the image tracked. Otherwise nullopt, and a ticket for learned().
std::optional<bool> image(const std::string& where, const std::string& image, uint64_t& ticket);
// What a request learned from the engine itself: the image is tracked from
// now on, unless an image event came since the ticket was given. While the
// stream is down, an answer that differs from the last known one tells
// on_change (watches hear it from the poll that found it).
void learned(const std::string& where, const std::string& image, bool present, uint64_t ticket);

// The Pintheon container's state: the engine's word ("created", "running",
// "paused", "restarting", "removing", "exited", "dead"; podman's own words
// are given as Docker's: stopping as running, stopped as exited,
// configured and initialized as created), "absent" when the engine has
// no such container, "unreachable" when no engine answers. From the
// stream's state when live, else one request to the engine at `where`.
std::string container_state(const std::string& where);

// A test hook: HVYM_WATCH_VERIFY_MS, how long a silent stream may stay
// silent before one request checks it against the engine (default 120 s).
void set_verify_ms(long long ms);

}  // namespace hvym::engine_follow
