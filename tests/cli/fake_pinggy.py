#!/usr/bin/env python3
"""A stand-in for the Pinggy client in the tunnel tests: records its command
line, serves 200 on the local debugger port it was given (-L<port>:...),
and runs until it is stopped."""
import http.server
import json
import os
import signal
import sys

args = sys.argv[1:]
with open(os.environ.get("FAKE_PINGGY_ARGS", os.devnull), "w") as f:
    json.dump(args, f)
port = int(next(a for a in args if a.startswith("-L"))[2:].split(":")[0])


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
print("fake pinggy serving its debugger on", port, flush=True)
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
