#!/usr/bin/env python3
"""Fleet test: PostgreSQL + an S3-compatible server + 2 `kycd serve --role api` + 3 `kycd serve --role worker`
processes on loopback, N submissions, and a chaos loop that `kill -9`s a random worker or api process every few
seconds and restarts it.

Usage: bench/fleet.py [--n 1000] [--api 2] [--workers 3] [--kill-every 3] [--bin target/release/kycd]
                      [--pg postgres://postgres@127.0.0.1:5432/postgres] [--s3-endpoint URL]
                      [--lease SECS] [--signal kill|term|mix] [--wait 600] [--rate PER_SEC]

The job lease is kycd's default (`KYCD_JOB_LEASE_SECS`, 15 s, renewed every 5 s) unless --lease is given.
--signal term stops victims with SIGTERM (a graceful stop releases their leases at once), mix alternates.
--rate spaces the submissions (a steady arrival rate below what the fleet processes under the chaos, so that the
accept → webhook figures show the faults rather than a backlog); by default they are sent as fast as
--concurrency allows.

A scratch database is created (and dropped at the end) on the PostgreSQL server; without --s3-endpoint a moto S3
server (PyPI `moto[server]`, installed by scripts/setup.sh) is started on a free port. All processes share the
database, the bucket and the master key (KYCD_MASTER_KEY). Clients retry on connection errors against the other api
process (a /process whose answer was lost is retried with the same token: TOKEN_NOT_VALID then means the first try
was accepted, which /api/v2/status confirms).

At the end it checks, with the chaos stopped and the fleet drained:
  * 0 lost: every accepted scanRef has a final result (/api/v2/status) and a delivered, correctly signed webhook;
  * no verification processed to two different results: every IDENTIFICATION_AUTO_FINISHED body received for a
    scanRef is byte-identical (a redelivery after a crash is allowed, a second different result is not), and it
    matches the stored status;
and prints the figures (submissions/s, verifications/s, kills, redeliveries, p50/p95/p99 from accept to the first
webhook attempt received, and the reclaim time of the jobs a killed worker held: from the kill until another worker
claimed or finished each of them, read from the jobs table). Exit code 1 on any violation; "lost" counts the
accepted verifications without a webhook --wait seconds after the last submission was accepted.
"""
import argparse, base64, hashlib, hmac, http.client, json, os, random, shutil, signal, socket
import subprocess, sys, tempfile, threading, time, urllib.request
from concurrent.futures import ThreadPoolExecutor

from benchlib import document_paths, webhook_receiver

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def psql(url, sql):
    subprocess.run(["psql", url, "-qtAc", sql], check=True, stdout=subprocess.DEVNULL)


def psql_rows(url, sql):
    out = subprocess.run(["psql", url, "-qtAc", sql], check=True, capture_output=True, text=True).stdout
    return [line.split("|") for line in out.splitlines() if line]


def pct(xs, q):
    """The q-quantile (nearest rank) of a sorted list, rounded to 0.1."""
    if not xs:
        return None
    return round(xs[min(len(xs) - 1, int(len(xs) * q))], 1)


class Proc:
    """One kycd process of the fleet."""

    def __init__(self, fleet, role, idx):
        self.fleet, self.role, self.idx = fleet, role, idx
        self.addr = None
        self.proc = None
        self.start()

    def start(self):
        env = dict(self.fleet.env, KYCD_BIND="127.0.0.1:0")
        log = open(os.path.join(self.fleet.work, f"{self.role}{self.idx}.log"), "ab")
        self.proc = subprocess.Popen([self.fleet.bin, "serve", "--role", self.role], env=env,
                                     stdout=subprocess.PIPE if self.role == "api" else log, stderr=log, text=True)
        if self.role == "api":
            for line in self.proc.stdout:
                if line.startswith("kycd listening on http://"):
                    self.addr = line.strip().rsplit("/", 1)[1]
                    break
            threading.Thread(target=lambda p=self.proc: [None for _ in p.stdout], daemon=True).start()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def term(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill9()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Fleet:
    def __init__(self, args, work, db_url, s3_endpoint, hook_url):
        self.bin, self.work, self.db_url, self.signal = args.bin, work, db_url, args.signal
        self.env = dict(os.environ, KYCD_DATA_DIR=os.path.join(work, "data"), KYCD_DATABASE_URL=db_url,
                        KYCD_S3_BUCKET="kycd-fleet", KYCD_S3_ENDPOINT=s3_endpoint, KYCD_S3_ACCESS_KEY_ID="fleet",
                        KYCD_S3_SECRET_ACCESS_KEY="fleet",
                        KYCD_MASTER_KEY=base64.b64encode(os.urandom(32)).decode(), KYCD_LOG="warn",
                        KYCD_WORKERS="1", KYCD_WEBHOOK_ALLOW_PRIVATE="true",
                        KYCD_WEBHOOK_RETRY_SCHEDULE="1,2,3,5,8,13,20,30", KYCD_RATE_LIMIT_RPS="0",
                        KYCD_JOB_MAX_ATTEMPTS="20")
        if args.lease:
            self.env["KYCD_JOB_LEASE_SECS"] = str(args.lease)
        else:
            self.env.pop("KYCD_JOB_LEASE_SECS", None)
        self.partner = json.loads(subprocess.check_output(
            [self.bin, "partner", "create", "--name", "fleet", "--direct-processing", "--webhook-url", hook_url],
            env=self.env))
        self.auth = "Basic " + base64.b64encode(
            f"{self.partner['apiKey']}:{self.partner['apiSecret']}".encode()).decode()
        self.apis = [Proc(self, "api", i) for i in range(args.api)]
        self.workers = [Proc(self, "worker", i) for i in range(args.workers)]
        self.lock = threading.Lock()
        self.kills = {"api": 0, "worker": 0}
        self.reclaims, self.pending_reclaims = [], []  # seconds; (job id, victim owner prefix, kill time)

    def call(self, path, body, timeout=120):
        """POSTs to a random live api process; raises OSError when the connection fails."""
        with self.lock:
            addr = random.choice([p.addr for p in self.apis])
        host, port = addr.split(":")
        c = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            c.request("POST", path, body=body, headers={"Authorization": self.auth,
                                                        "Content-Type": "application/json"})
            r = c.getresponse()
            return r.status, r.read()
        except (http.client.HTTPException, ConnectionError) as e:
            raise OSError(str(e))
        finally:
            c.close()

    def call_retry(self, path, body, tries=50):
        for _ in range(tries):
            try:
                return self.call(path, body)
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{path}: no api process answered")

    def chaos(self, stop, every):
        n = 0
        while not stop.wait(every):
            role = "worker" if n % 2 == 0 else "api"
            n += 1
            with self.lock:
                victims = self.workers if role == "worker" else self.apis
                p = random.choice(victims)
            owner = f"kycd-{p.proc.pid}-"
            graceful = self.signal == "term" or (self.signal == "mix" and self.kills[role] % 2 == 1)
            at = time.time()
            held = []
            if role == "worker":
                try:
                    held = [int(r[0]) for r in psql_rows(
                        self.db_url, f"SELECT id FROM jobs WHERE state = 'running' AND lease_owner LIKE '{owner}%'")]
                except subprocess.CalledProcessError:
                    pass
            p.term() if graceful else p.kill9()
            self.kills[role] += 1
            with self.lock:
                self.pending_reclaims += [(j, owner, at) for j in held]
            p.start()

    def watch_reclaims(self, stop):
        """Polls the jobs a killed worker held until another worker claims (or finishes) each of them."""
        while not stop.wait(0.25):
            with self.lock:
                pending = list(self.pending_reclaims)
            if not pending:
                continue
            ids = ",".join(str(j) for j, _, _ in pending)
            try:
                rows = {int(r[0]): (r[1], r[2]) for r in psql_rows(
                    self.db_url, f"SELECT id, state, coalesce(lease_owner, '') FROM jobs WHERE id IN ({ids})")}
            except subprocess.CalledProcessError:
                continue
            now = time.time()
            done = set()
            for j, owner, at in pending:
                state, lease_owner = rows.get(j, ("done", ""))
                if state in ("done", "dead") or (state == "running" and not lease_owner.startswith(owner)):
                    self.reclaims.append(now - at)
                    done.add(j)
            with self.lock:
                self.pending_reclaims = [x for x in self.pending_reclaims if x[0] not in done]

    def stop(self):
        for p in self.apis + self.workers:
            p.stop()


def main():
    ap = argparse.ArgumentParser()
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    ap.add_argument("--bin", default=os.environ.get("KYCD_BIN") or os.path.join(target, "release", "kycd"))
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--api", type=int, default=2)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--kill-every", type=float, default=3.0)
    ap.add_argument("--lease", type=int, default=None,
                    help="job lease seconds (default: kycd's own, 30 s with a heartbeat every 10 s)")
    ap.add_argument("--signal", choices=["kill", "term", "mix"], default="kill",
                    help="how victims are stopped: SIGKILL, SIGTERM (graceful, leases released), or alternating")
    ap.add_argument("--wait", type=float, default=600,
                    help="seconds after the last accepted submission before a verification without webhook is lost")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--rate", type=float, default=0,
                    help="submissions per second (0: as fast as --concurrency allows)")
    ap.add_argument("--pg", default=os.environ.get("KYCD_TEST_POSTGRES_URL")
                    or "postgres://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--s3-endpoint")
    ap.add_argument("--timeout", type=float, default=7200)
    args = ap.parse_args()

    docs = [base64.b64encode(open(p, "rb").read()).decode() for p in document_paths()]

    received, hook_lock, signing = {}, threading.Lock(), {}

    def on_post(path, headers, body):
        ok = hmac.compare_digest(headers.get("Idenfy-Signature", ""),
                                 hmac.new(signing["key"], body, hashlib.sha256).hexdigest())
        v = json.loads(body)
        with hook_lock:
            received.setdefault(v["scanRef"], []).append(
                (headers.get("Idenfy-Event-Type"), ok, time.time(), hashlib.sha256(body).hexdigest(),
                 v["status"]["overall"]))

    hook_url = webhook_receiver(on_post) + "/hook"

    os.makedirs(target, exist_ok=True)
    work = tempfile.mkdtemp(prefix="kycd-fleet-", dir=target)
    db = f"kycd_fleet_{os.getpid()}"
    psql(args.pg, f"CREATE DATABASE {db}")
    db_url = args.pg.rsplit("/", 1)[0] + "/" + db
    s3 = None
    if not args.s3_endpoint:
        port = free_port()
        s3 = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        args.s3_endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(urllib.request.Request(args.s3_endpoint + "/kycd-fleet", method="PUT"), timeout=2)
            break
        except Exception:
            time.sleep(0.2)
    fleet = None
    try:
        fleet = Fleet(args, work, db_url, args.s3_endpoint, hook_url)
        signing["key"] = fleet.partner["signingKey"].encode()
        stop = threading.Event()
        chaos = threading.Thread(target=fleet.chaos, args=(stop, args.kill_every), daemon=True)
        reclaim = threading.Thread(target=fleet.watch_reclaims, args=(stop,), daemon=True)
        t0 = time.time()
        chaos.start()
        reclaim.start()
        submitted, retried = {}, [0]

        def submit(i):
            if args.rate:
                time.sleep(max(0.0, t0 + i / args.rate - time.time()))
            while True:
                st, tok = fleet.call_retry("/api/v2/token",
                                           json.dumps({"clientId": f"fleet-{i}", "tokenType": "DOCUMENT"}))
                if st == 201:
                    break
            t = json.loads(tok)
            body = json.dumps({"authToken": t["authToken"], "country": "LT", "documentType": "PASSPORT",
                               "images": {"FRONT": docs[i % len(docs)]}})
            for _ in range(50):
                try:
                    st, resp = fleet.call("/api/v2/process", body)
                except OSError:
                    retried[0] += 1
                    time.sleep(0.2)
                    continue
                if st == 200:
                    return t["scanRef"], time.time()
                if st == 400 and b"TOKEN_NOT_VALID" in resp:
                    # An earlier try whose answer was lost was accepted: the status says so.
                    st2, s = fleet.call_retry("/api/v2/status", json.dumps({"scanRef": t["scanRef"]}))
                    if st2 == 200 and json.loads(s)["status"] != "ACTIVE":
                        return t["scanRef"], time.time()
                raise RuntimeError(f"/process: {st} {resp[:200]!r}")
            raise RuntimeError("/process: no api process answered")

        with ThreadPoolExecutor(args.concurrency) as ex:
            for scan, at in ex.map(submit, range(args.n)):
                submitted[scan] = at
        accept_s = time.time() - t0
        print(f"accepted {len(submitted)} submissions in {accept_s:.1f} s ({len(submitted) / accept_s:.1f}/s), "
              f"kills so far {fleet.kills}", flush=True)

        deadline = time.time() + min(args.timeout, args.wait)
        last = -1
        while time.time() < deadline:
            with hook_lock:
                n = sum(1 for s in submitted if s in received)
            if n != last:
                print(f"  webhooks for {n}/{len(submitted)} ({time.time() - t0:.0f} s, kills {fleet.kills})",
                      flush=True)
                last = n
            if n == len(submitted):
                break
            time.sleep(3)
        stop.set()
        chaos.join()
        reclaim.join()
        total_s = time.time() - t0
        time.sleep(5)  # late redeliveries would arrive now

        lost = [s for s in submitted if s not in received]
        two_results, redelivered, bad_sig, mismatched, outcomes = [], 0, 0, 0, {}
        for s, evs in received.items():
            fin = [e for e in evs if e[0] == "IDENTIFICATION_AUTO_FINISHED"]
            bad_sig += sum(1 for e in evs if not e[1])
            if len({e[3] for e in fin}) > 1:
                two_results.append(s)
            redelivered += max(0, len(fin) - 1)
            if fin:
                outcomes[fin[0][4]] = outcomes.get(fin[0][4], 0) + 1
        for s in submitted:
            st, resp = fleet.call_retry("/api/v2/status", json.dumps({"scanRef": s}))
            stored = json.loads(resp)["status"] if st == 200 else None
            fin = [e for e in received.get(s, []) if e[0] == "IDENTIFICATION_AUTO_FINISHED"]
            if stored in (None, "ACTIVE", "REVIEWING") or (fin and fin[0][4] != stored):
                mismatched += 1
        lat = sorted(min(e[2] for e in received[s]) - submitted[s] for s in submitted if s in received)
        rec = sorted(fleet.reclaims)
        print(json.dumps({
            "submissions": args.n, "accepted": len(submitted), "lost": len(lost),
            "processedToTwoDifferentResults": len(two_results), "redeliveredWebhooks": redelivered,
            "badSignatures": bad_sig, "statusMismatches": mismatched, "kills": fleet.kills,
            "clientRetriesAfterConnectionErrors": retried[0],
            "acceptPerSec": round(len(submitted) / accept_s, 1),
            "endToEndPerSec": round(len(submitted) / total_s, 2), "totalSeconds": round(total_s, 1),
            "acceptToFirstWebhookP50s": pct(lat, 0.5), "acceptToFirstWebhookP95s": pct(lat, 0.95),
            "acceptToFirstWebhookP99s": pct(lat, 0.99), "acceptToFirstWebhookMaxs": pct(lat, 1.0),
            "jobsHeldByKilledWorkers": len(rec) + len(fleet.pending_reclaims),
            "reclaimP50s": pct(rec, 0.5), "reclaimP99s": pct(rec, 0.99), "reclaimMaxs": pct(rec, 1.0),
            "neverReclaimed": len(fleet.pending_reclaims), "signal": args.signal,
            "jobLeaseSecs": args.lease or 30, "waitSecs": args.wait,
            "outcomes": outcomes, "apiProcesses": args.api, "workerProcesses": args.workers,
        }, indent=1))
        if lost or two_results or bad_sig or mismatched:
            sys.exit(1)
    finally:
        if fleet:
            fleet.stop()
        if s3:
            s3.terminate()
        hook.shutdown()
        try:
            psql(args.pg, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
