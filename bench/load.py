#!/usr/bin/env python3
"""Load benchmark of the ingest path with a real HTTP load generator (wrk) on loopback, and peak memory under large
uploads with pipelines running.

Usage: bench/load.py [--bin target/release/kycd] [--seconds 20] [--connections 16] [--mb 1] [--skip-rss]
                     [--skip-accept] [--skip-oversized]

1. Accept rate: `kycd serve --role api` (no in-process workers, so the two cores serve HTTP only; the queue fills)
   on a temporary SQLite data dir; N tokens are created first, then wrk posts `/api/v2/process` with a ~1 MB body
   (a base64 PNG, `skipAnalysis`, declared type), each request with its own token, for --seconds. Prints requests/s,
   how many were accepted (200) and any other status. Goal: >= 300 accepted/s on 2 cores.
2. Peak RSS (unless --skip-rss): `kycd serve` (all-in-one, 4 workers); 4 real verifications are submitted so four
   pipelines run, then 8 concurrent ~20 MB uploads; the server's VmHWM is read from /proc. Goal: <= 1 GiB.
3. Oversized chunked uploads (unless --skip-oversized): `kycd serve` (all-in-one, default 20 MB body limit), then 8
   concurrent 25 MB `/process` bodies sent chunked (no Content-Length), each with its own token. Every one must be
   refused with 413; prints the server's VmHWM before and after, i.e. what refusing them cost. Goal: growth well
   under 8 x 25 MB (the bodies are not buffered whole).
The 20 MB ingest p50 is bench/process_ingest.py.
Needs `wrk` (scripts/apt/bench.txt, installed by scripts/setup.sh).
"""
import argparse, base64, http.client, json, os, shutil, subprocess, sys, tempfile, threading, time
from concurrent.futures import ThreadPoolExecutor

from benchlib import REPO, document_paths, png



class Kycd:
    def __init__(self, binary, work, extra_env, args):
        self.env = dict(os.environ, KYCD_DATA_DIR=os.path.join(work, "data"), KYCD_BIND="127.0.0.1:0",
                        KYCD_LOG="warn", KYCD_RATE_LIMIT_RPS="0", KYCD_WEBHOOK_ALLOW_PRIVATE="true", **extra_env)
        self.env.pop("KYCD_DATABASE_URL", None)
        self.bin = binary
        self.partner = json.loads(subprocess.check_output([binary, "partner", "create", "--name", "load",
                                                           "--direct-processing"], env=self.env))
        self.proc = subprocess.Popen([binary, "serve", *args], env=self.env, stdout=subprocess.PIPE, text=True)
        for line in self.proc.stdout:
            if line.startswith("kycd listening on http://"):
                self.host, port = line.strip().rsplit("/", 1)[1].split(":")
                self.port = int(port)
                break
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
        self.auth = "Basic " + base64.b64encode(
            f"{self.partner['apiKey']}:{self.partner['apiSecret']}".encode()).decode()

    def call(self, path, body, timeout=120):
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        c.request("POST", path, body=body, headers={"Authorization": self.auth, "Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def token(self, i, kind="DOCUMENT"):
        st, tok = self.call("/api/v2/token", json.dumps({"clientId": f"load-{i}", "tokenType": kind}))
        assert st == 201, tok
        return json.loads(tok)

    def hwm_kib(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


WRK_LUA = r"""
local tokens = {}
local prefix, suffix
counter = 0
statuses = {}
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local f = io.open(args[1], "r")
  for line in f:lines() do table.insert(tokens, line) end
  f:close()
  f = io.open(args[2], "rb"); prefix = f:read("*a"); f:close()
  f = io.open(args[3], "rb"); suffix = f:read("*a"); f:close()
  nthreads = tonumber(args[4])
  counter = id
  wrk.method = "POST"
  wrk.headers["Authorization"] = args[5]
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local t = tokens[counter + 1] or "exhausted"
  counter = counter + nthreads
  return wrk.format(nil, "/api/v2/process", nil, prefix .. t .. suffix)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, string.format('"%d": %d', k, v)) end
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors_connect": %d, "errors_read": %d, "errors_timeout": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect, summary.errors.read, summary.errors.timeout, table.concat(parts, ", ")))
end
"""


def accept_rate(args, work):
    k = Kycd(args.bin, work, {}, ["--role", "api"])
    try:
        # Body: ~1 MB once base64 and JSON.
        side = int((args.mb * 1_000_000 * 3 / 4 / 3) ** 0.5)
        img = base64.b64encode(png(side, side)).decode()
        prefix = '{"authToken":"'
        suffix = '","country":"LT","documentType":"PASSPORT","skipAnalysis":true,"images":{"FRONT":"' + img + '"}}'
        body_len = len(prefix) + 20 + len(suffix)
        n_tokens = int(args.max_rate * args.seconds)
        t0 = time.time()
        with ThreadPoolExecutor(8) as ex:
            toks = list(ex.map(lambda i: k.token(i)["authToken"], range(n_tokens)))
        tok_time = time.time() - t0
        paths = [os.path.join(work, n) for n in ("tokens.txt", "prefix", "suffix", "req.lua")]
        open(paths[0], "w").write("\n".join(toks) + "\n")
        open(paths[1], "w").write(prefix)
        open(paths[2], "w").write(suffix)
        open(paths[3], "w").write(WRK_LUA)
        out = subprocess.check_output(
            ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.seconds}s", "--timeout", "30s",
             "-s", paths[3], f"http://{k.host}:{k.port}", "--", paths[0], paths[1], paths[2], str(args.threads),
             k.auth], text=True)
        line = next(l for l in out.splitlines() if l.startswith("WRKJSON "))
        r = json.loads(line[len("WRKJSON "):])
        ok = r["statuses"].get("200", 0)
        secs = r["duration_us"] / 1e6
        res = {"body_bytes": body_len, "tokens_created": n_tokens, "token_creation_s": round(tok_time, 1),
               "requests": r["requests"], "accepted_200": ok, "accepted_per_s": round(ok / secs, 1),
               "other_statuses": {s: c for s, c in r["statuses"].items() if s != "200"},
               "latency_p50_ms": round(r["p50_us"] / 1000, 1), "latency_p99_ms": round(r["p99_us"] / 1000, 1),
               "socket_errors": {x: r["errors_" + x] for x in ("connect", "read", "timeout")},
               "connections": args.connections, "seconds": args.seconds, "server_peak_rss_mib": k.hwm_kib() // 1024}
        if ok >= n_tokens - args.connections:
            res["note"] = "tokens ran out: raise --max-rate"
        return res
    finally:
        k.stop()


def peak_rss(args, work):
    k = Kycd(args.bin, work, {"KYCD_WORKERS": "4"}, [])
    idle = k.hwm_kib()
    try:
        fronts = document_paths((".jpg", ".jpeg"), min_bytes=300_000)
        face = os.path.join(REPO, "..", "shared", "data", "faces", "face_recognition", "obama.jpg")
        face_b64 = base64.b64encode(open(face, "rb").read()).decode()
        for i, f in enumerate(fronts[:4]):
            t = k.token(f"p{i}", "IDENTIFICATION")
            st, resp = k.call("/api/v2/process", json.dumps({
                "authToken": t["authToken"], "country": "LT", "documentType": "PASSPORT", "skipAnalysis": True,
                "images": {"FRONT": base64.b64encode(open(f, "rb").read()).decode(), "FACE": face_b64}}))
            assert st == 200, resp
        img = base64.b64encode(png(2500, 1990)).decode()
        toks = [k.token(f"big{i}")["authToken"] for i in range(8)]
        bodies = [json.dumps({"authToken": t, "country": "LT", "documentType": "PASSPORT", "skipAnalysis": True,
                              "images": {"FRONT": img}}).encode() for t in toks]
        del img
        samples = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                samples.append(k.hwm_kib())
                time.sleep(0.05)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        with ThreadPoolExecutor(8) as ex:
            codes = list(ex.map(lambda b: k.call("/api/v2/process", b)[0], bodies))
        after_uploads = k.hwm_kib()
        # Let the pipelines (and the 8 big jobs) run on for a while.
        time.sleep(args.rss_settle)
        stop.set()
        th.join()
        return {"idle_rss_mib": round(idle / 1024, 1), "uploads": len(bodies), "upload_bytes_each": len(bodies[0]), "upload_statuses": codes,
                "pipelines": 4, "peak_rss_mib_when_uploads_done": round(after_uploads / 1024, 1),
                "server_peak_rss_mib": round(k.hwm_kib() / 1024, 1), "settle_s": args.rss_settle}
    finally:
        k.stop()


def oversized_chunked(args, work):
    k = Kycd(args.bin, work, {"KYCD_WORKERS": "2"}, [])
    try:
        toks = [k.token(f"huge{i}")["authToken"] for i in range(8)]
        time.sleep(1)
        idle = k.hwm_kib()
        piece = b"A" * (1 << 20)

        def send(tok):
            head = ('{"authToken": "%s", "country": "LT", "documentType": "PASSPORT", "skipAnalysis": true, '
                    '"images": {"FRONT": "' % tok).encode()

            def body():
                yield head
                for _ in range(25):
                    yield piece
                yield b'"}}'

            c = http.client.HTTPConnection(k.host, k.port, timeout=120)
            try:
                c.request("POST", "/api/v2/process", body=body(), encode_chunked=True,
                          headers={"Authorization": k.auth, "Content-Type": "application/json",
                                   "Transfer-Encoding": "chunked"})
            except (BrokenPipeError, ConnectionResetError):
                pass  # refused before the whole body was sent: the answer is still there to read
            try:
                r = c.getresponse()
                r.read()
                return r.status
            except (ConnectionResetError, http.client.RemoteDisconnected) as e:
                return f"connection closed: {e}"
            finally:
                c.close()

        with ThreadPoolExecutor(8) as ex:
            codes = list(ex.map(send, toks))
        peak = k.hwm_kib()
        return {"uploads": 8, "body_mb_each": 25, "chunked": True, "statuses": codes,
                "idle_rss_mib": round(idle / 1024, 1), "peak_rss_mib": round(peak / 1024, 1),
                "growth_mib": round((peak - idle) / 1024, 1)}
    finally:
        k.stop()


def main():
    ap = argparse.ArgumentParser()
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    ap.add_argument("--bin", default=os.environ.get("KYCD_BIN") or os.path.join(target, "release", "kycd"))
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mb", type=float, default=1.0)
    ap.add_argument("--max-rate", type=float, default=700, help="tokens created per second of the run")
    ap.add_argument("--skip-rss", action="store_true")
    ap.add_argument("--skip-accept", action="store_true")
    ap.add_argument("--skip-oversized", action="store_true")
    ap.add_argument("--rss-settle", type=float, default=10, help="seconds the pipelines run on after the uploads")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: run scripts/setup.sh")
    os.makedirs(target, exist_ok=True)
    work = tempfile.mkdtemp(prefix="kycd-load-", dir=target)
    try:
        out = {}
        if not args.skip_accept:
            out["accept"] = accept_rate(args, os.path.join(work, "a"))
            print(json.dumps(out), flush=True)
        if not args.skip_rss:
            out["rss"] = peak_rss(args, os.path.join(work, "r"))
        if not args.skip_oversized:
            out["oversized_chunked"] = oversized_chunked(args, os.path.join(work, "o"))
        print(json.dumps(out, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
