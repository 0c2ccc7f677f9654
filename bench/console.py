#!/usr/bin/env python3
"""Review-console server time at scale (issue 17): N verifications in the store (SQLite and PostgreSQL), then the
queue page, a deep queue page, the review queue, the dashboard and verification pages, each requested R times by a
logged-in operator; prints p50/p95 per page and backend.

    cargo build --release -p kycd && python3 bench/console.py --n 1000000 --requests 200

The rows are written straight into the database with one SQL statement per backend (recursive CTE on SQLite,
generate_series on PostgreSQL) after `kycd migrate`, so the indexes the console relies on are the ones the
migrations create. Each verification has a ~2 KB result JSON like a real one (status, data, kycd rules), a status
mix of 80 % APPROVED, 8 % DENIED, 6 % SUSPECTED, 4 % REVIEWING, 2 % EXPIRED, created over the last 365 days, half of
them for each of two partners; the SUSPECTED and REVIEWING ones wait for review (review_pending = 1).
Timings are measured by the client on loopback (one request at a time), so they are the server's time plus a
loopback round trip. Standard library only.
"""
import argparse, http.cookiejar, os, random, re, shutil, statistics, subprocess, sys, tempfile, time
import urllib.parse, urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PASSWORD = "bench console password 1"
DAY = 86_400_000

RESULT = (
    '{"final":true,"platform":"API","status":{"overall":"%(st)s","suspicionReasons":[],'
    '"fraudTags":%(tags)s,"mismatchTags":[],"autoFace":"FACE_MATCH","manualFace":null,'
    '"autoDocument":"DOC_VALIDATED","manualDocument":null,"additionalSteps":null},'
    '"data":{"docFirstName":"ANA","docLastName":"EXAMPLE","docNumber":"X1234567","docDob":"1990-01-01",'
    '"docExpiry":"2031-01-01","docType":"PASSPORT","docSex":"FEMALE","docNationality":"LT",'
    '"docIssuingCountry":"LT","selectedCountry":"LT","fullName":"ANA EXAMPLE"},'
    '"fileUrls":{},"additionalStepPdfUrls":{},"scanRef":"%(scan)s","clientId":"%(client)s",'
    '"startTime":0,"finishTime":0,"manualAddressMatch":false,'
    '"kycd":{"rules":[{"rule":"document.mrz_valid","produced":"DOC_VALIDATED","detail":"' + "x" * 900 + '"},'
    '{"rule":"face.match","produced":"FACE_MATCH","detail":"distance 0.41 <= 0.56"}]}}'
)


def sql_seed(n, now_ms, backend):
    """One INSERT … SELECT generating n verifications."""
    status = ("CASE WHEN i %% 50 < 40 THEN 'APPROVED' WHEN i %% 50 < 44 THEN 'DENIED' WHEN i %% 50 < 47 "
              "THEN 'SUSPECTED' WHEN i %% 50 < 49 THEN 'REVIEWING' ELSE 'EXPIRED' END")
    scan = "'bench-' || i"
    client = "'client-' || (i %% 200000)"
    tags = "CASE WHEN i %% 50 BETWEEN 44 AND 46 THEN '[\"DUPLICATE_FACE\"]' ELSE '[]' END"
    result = RESULT.replace('"%(st)s"', "\"' || " + status + " || '\"") \
        .replace("%(tags)s", "' || " + tags + " || '") \
        .replace('"%(scan)s"', "\"' || " + scan + " || '\"") \
        .replace('"%(client)s"', "\"' || " + client + " || '\"")
    result = "'" + result + "'"
    cols = ("scan_ref, partner_id, client_id, auth_token, status, country, document_type, skip_analysis, images_json, "
            "result_json, created_at, finished_at, auto_document, auto_face, tags, review_pending")
    created = f"({now_ms} - (i * 31536000000 / {n}))"
    select = (f"{scan}, 1 + (i %% 2), {client}, 'tok-' || i, {status}, 'LT', 'PASSPORT', 0, '{{}}', {result}, "
              f"{created}, {created} + 3000 + (i %% 5000), 'DOC_VALIDATED', 'FACE_MATCH', "
              f"CASE WHEN i %% 50 BETWEEN 44 AND 46 THEN ',DUPLICATE_FACE,' ELSE NULL END, "
              f"CASE WHEN i %% 50 BETWEEN 44 AND 48 THEN 1 ELSE 0 END")
    if backend == "sqlite":
        body = (f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
                f"INSERT INTO verifications ({cols}) SELECT {select} FROM s;")
    else:
        body = f"INSERT INTO verifications ({cols}) SELECT {select} FROM generate_series(1, {n}) AS s(i);"
    return body.replace("%%", "%")


def run(cmd, env, stdin=None):
    p = subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {p.stderr}")
    return p.stdout


class Session:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def get(self, path):
        try:
            with self.opener.open(self.base + path, timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def login(self, email):
        _, page = self.get("/console/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf": csrf, "next": "/console"}).encode()
        try:
            self.opener.open(self.base + "/console/login", data=data, timeout=60)
        except urllib.error.HTTPError as e:
            if e.code != 303:
                sys.exit(f"login failed: {e.code}")


def timed(session, path, r):
    times = []
    for _ in range(r):
        p = path() if callable(path) else path
        t = time.perf_counter()
        code, body = session.get(p)
        times.append((time.perf_counter() - t) * 1000)
        if code != 200:
            sys.exit(f"GET {p}: {code} {body[:300]}")
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def bench(backend, args, binary):
    tmp = tempfile.mkdtemp(prefix="kycd-console-bench-")
    env = dict(os.environ, KYCD_DATA_DIR=os.path.join(tmp, "data"), KYCD_BIND="127.0.0.1:18571",
               KYCD_CONSOLE_INSECURE_COOKIES="true", KYCD_LOG="warn", KYCD_WORKERS="1")
    env.pop("KYCD_DATABASE_URL", None)
    if backend == "postgres":
        db = "kycd_bench_console"
        subprocess.run(["psql", args.pg_admin, "-qc", f"DROP DATABASE IF EXISTS {db}"], check=True)
        subprocess.run(["psql", args.pg_admin, "-qc", f"CREATE DATABASE {db}"], check=True)
        env["KYCD_DATABASE_URL"] = args.pg_admin.rsplit("/", 1)[0] + "/" + db
    run([binary, "migrate"], env)
    for name in ("acme", "globex"):
        run([binary, "partner", "create", "--name", name], env)
    run([binary, "operator", "create", "--email", "admin@bench.example", "--role", "admin", "--password-stdin"],
        env, PASSWORD + "\n")
    run([binary, "operator", "create", "--email", "rev@bench.example", "--role", "reviewer", "--partner", "acme",
         "--password-stdin"], env, PASSWORD + "\n")
    now = int(time.time() * 1000)
    t = time.time()
    seed = sql_seed(args.n, now, backend)
    if backend == "sqlite":
        db_file = os.path.join(tmp, "data", "kycd.db")
        subprocess.run(["sqlite3", db_file], input=seed + "\nANALYZE;\n", text=True, check=True)
    else:
        # VACUUM ANALYZE: what autovacuum does to a live table; without it index-only scans of a freshly bulk-loaded
        # table still visit every heap page.
        subprocess.run(["psql", env["KYCD_DATABASE_URL"], "-q"], input=seed + "\n", text=True, check=True)
        subprocess.run(["psql", env["KYCD_DATABASE_URL"], "-qc", "VACUUM ANALYZE verifications"], check=True)
    seed_s = time.time() - t
    server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        base = None
        for line in server.stdout:
            if line.startswith("kycd listening on "):
                base = line.strip().rsplit(" ", 1)[-1]
                break
        if not base:
            sys.exit("kycd serve did not start")
        rows = {}
        rnd = random.Random(7)
        for who in ("admin@bench.example", "rev@bench.example"):
            s = Session(base)
            s.login(who)
            s.get("/console/queue")  # warm the per-status counts and the connection
            deep = None
            _, page = s.get("/console/queue")
            for _ in range(20):  # walk 20 pages to get a deep cursor
                m = re.search(r'href="(/console/queue\?[^"]*after=[^"]+)"', page)
                if not m:
                    break
                deep = m.group(1).replace("&amp;", "&")
                _, page = s.get(deep)
            scoped = 1 if who.startswith("rev") else None

            def random_scan():
                i = rnd.randrange(1, args.n + 1)
                if scoped is not None and (1 + i % 2) != scoped:
                    i = i + 1 if i < args.n else i - 1
                return f"/console/v/bench-{i}"

            pages = [("queue, first page", "/console/queue"), ("queue, page 21", deep or "/console/queue"),
                     ("queue, filtered (SUSPECTED + tag)", "/console/queue?status=SUSPECTED&tag=DUPLICATE_FACE"),
                     ("to review (oldest first)", "/console/review"), ("dashboard", "/console"),
                     ("verification page", random_scan)]
            for name, path in pages:
                rows[(who.split("@")[0], name)] = timed(s, path, args.requests)
        return seed_s, rows
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--binary", default=os.path.join(REPO, "target", "release", "kycd"))
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--pg-admin", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    print(f"# console server time, {args.n:,} verifications, {args.requests} requests per page, {args.binary}\n")
    print("| backend | operator | page | p50 ms | p95 ms |")
    print("|---|---|---|---:|---:|")
    for backend in args.backends.split(","):
        seed_s, rows = bench(backend, args, args.binary)
        for (who, name), (p50, p95) in rows.items():
            print(f"| {backend} | {who} | {name} | {p50:.1f} | {p95:.1f} |", flush=True)
        print(f"| {backend} | | (seeding {args.n:,} rows took {seed_s:.0f} s) | | |", flush=True)


if __name__ == "__main__":
    main()
