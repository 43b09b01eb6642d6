"""Real parts the CLI tests start themselves: podman serving the Docker
Engine API, Debian's docker-registry, HTTP servers on loopback."""
import http.server
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

PODMAN = shutil.which("podman")
REGISTRY = shutil.which("docker-registry")
DOCKER = shutil.which("docker")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        if check():
            return True
        time.sleep(0.1)
    return False


def connects(path):
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)
            return True
    except OSError:
        return False


def children(pid, zombies=False):
    """The pids whose parent is pid (from /proc); with zombies, the ones
    that ended and were not reaped too."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == pid and (zombies or fields[0] != "Z"):
            out.append(int(name))
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


# crun refuses to start a container where cgroup2 is mounted beside v1 with
# a controller in it ("cgroups in hybrid mode not supported"), as on these
# machines: the service runs in a mount namespace of its own without the
# cgroup2 mount. Its containers are then created with --cgroups disabled and
# ulimits under the machine's hard limits (RUNNABLE_CREATE).
RUNNABLE = ["unshare", "-m", "--propagation", "private", "sh", "-c",
            'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', "sh"]
RUNNABLE_CREATE = ["--cgroups", "disabled", "--network", "none",
                   "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


def rss_kib(pid):
    """A process's resident memory (VmRSS), KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def switches(pid):
    """Context switches of every thread of `pid` so far: a thread that wakes
    (a timer, a poll that ends) adds one."""
    total = 0
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(status) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class Podman:
    """A podman API service on a unix (or TCP) address, with its own storage.
    Registries listed in `insecure` are reached over plain HTTP; `wrap` is a
    command the service runs under (RUNNABLE: one that lets it run containers
    on this kind of machine)."""

    def __init__(self, root, address, insecure=(), wrap=()):
        self.root = root
        os.makedirs(root, exist_ok=True)
        # Everything of its own (storage, run state, temp files, events), so
        # instances never meet.
        self.base = [PODMAN, "--root", os.path.join(root, "storage"), "--runroot",
                     os.path.join(root, "run"), "--tmpdir", os.path.join(root, "tmp"),
                     "--events-backend", "file", "--storage-driver", "vfs"]
        self.env = dict(os.environ)
        if insecure:
            conf = os.path.join(root, "registries.conf")
            with open(conf, "w") as f:
                for r in insecure:
                    f.write(f'[[registry]]\nlocation = "{r}"\ninsecure = true\n')
            self.env["CONTAINERS_REGISTRIES_CONF"] = conf
        self.proc = subprocess.Popen(list(wrap) + self.base + ["system", "service", "--time=0", address],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env=self.env)

    def podman(self, *args):
        return subprocess.run(self.base + list(args), capture_output=True, check=True, env=self.env)

    def import_image(self, ref, payload_bytes=16):
        tree = os.path.join(self.root, "tree")
        os.makedirs(tree, exist_ok=True)
        with open(os.path.join(tree, "payload"), "wb") as f:
            f.write(os.urandom(payload_bytes))
        tar = os.path.join(self.root, "image.tar")
        subprocess.run(["tar", "-C", tree, "-cf", tar, "."], check=True)
        self.podman("import", "--change", 'CMD ["/payload"]', tar, ref)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    def reset(self):
        self.stop()
        subprocess.run(self.base + ["system", "reset", "--force"], capture_output=True, env=self.env)


class Registry:
    """Debian's docker-registry on a loopback port."""

    def __init__(self, root):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        conf = os.path.join(root, "registry.yml")
        with open(conf, "w") as f:
            f.write(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root}/registry\n"
                    f"http:\n  addr: {self.address}\n")
        self.proc = subprocess.Popen([REGISTRY, "serve", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def up(self):
        def answers():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                return False
        return wait_for(answers)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)


def http_server(status=200, files=None, delay=0):
    """A loopback HTTP server answering `status`, or serving `files`
    ({path: bytes}, 404 for others), after `delay` seconds. .close() stops it."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(delay)
            body = b"ok"
            code = status
            if files is not None:
                code = 200 if self.path in files else 404
                body = files.get(self.path, b"not found")
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # accept() with a bound: one that finds the connection gone after select
    # said there was one blocked for good, and close() (shutdown) with it.
    server.socket.settimeout(1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.close = lambda: (server.shutdown(), server.server_close())
    server.port = server.server_address[1]
    return server


class Silent:
    """Accepts connections and never answers."""

    def __init__(self, family=socket.AF_INET, address=("127.0.0.1", 0)):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind(address)
        self.sock.listen(16)
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                return

    def getsockname(self):
        return self.sock.getsockname()

    def close(self):
        self.sock.close()
        for c in self.held:
            c.close()


def scratch():
    return tempfile.mkdtemp()
