"""Helpers shared by the benchmark scripts in bench/ (standard library only)."""
import os, random, struct, zlib

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DOCUMENTS = os.path.join(REPO, "..", "shared", "data", "documents")


def document_paths(exts=(".jpg", ".jpeg", ".png"), min_bytes=0, max_bytes=3_000_000):
    """Paths of the shared document images (from the manifest) with one of `exts` and a size in the given range."""
    import json
    manifest = json.load(open(os.path.join(DOCUMENTS, "manifest.json")))
    entries = manifest["files"] if isinstance(manifest, dict) and "files" in manifest else manifest
    paths = [os.path.join(DOCUMENTS, e["file"] if isinstance(e, dict) else e) for e in entries]
    return [p for p in paths if p.lower().endswith(exts) and min_bytes < os.path.getsize(p) < max_bytes]


def png(width, height, seed=7):
    """An RGB PNG of random pixels, stored uncompressed (so the file is ~3*w*h bytes)."""
    rnd = random.Random(seed)
    raw = b"".join(b"\x00" + rnd.randbytes(width * 3) for _ in range(height))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b"")


def webhook_receiver(on_post):
    """Starts a local HTTP server that answers every POST 200 after calling on_post(path, headers, body); returns its
    base URL."""
    import http.server
    import threading

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            on_post(self.path, self.headers, body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{hook.server_address[1]}"


def listening_address(server):
    """Reads a `kycd serve` process's stdout up to its "kycd listening on http://HOST:PORT" line; returns (host, port),
    or None when the process ended first."""
    for line in server.stdout:
        if line.startswith("kycd listening on http://"):
            host, port = line.strip().rsplit("/", 1)[1].split(":")
            return host, int(port)
    return None


def post_json(host, port, partner, path, body, timeout=120):
    """POSTs a JSON body with the partner's Basic credentials ({"apiKey", "apiSecret"}); returns (status, body)."""
    import base64
    import http.client

    auth = "Basic " + base64.b64encode(f"{partner['apiKey']}:{partner['apiSecret']}".encode()).decode()
    c = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        c.request("POST", path, body=body, headers={"Authorization": auth, "Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def serve(binary, env):
    """Starts `kycd serve` with `env`; returns (process, host, port) once it listens, its further output drained in the
    background. Exits the script when the server does not start."""
    import subprocess
    import sys
    import threading

    server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.PIPE, text=True)
    addr = listening_address(server)
    if not addr:
        sys.exit("the server did not start")
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
    return server, addr[0], addr[1]
