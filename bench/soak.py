#!/usr/bin/env python3
"""Soak: N verifications through one `kycd serve` on SQLite, end to end, with a webhook receiver.

Usage: bench/soak.py [--n 1000] [--concurrency 8] [--bin target/release/kycd] [--workers 2]

Submits N DOCUMENT verifications (token + /process with a real document image from ../shared/data/documents, cycling
through them), waits until every verification has its result and its webhook, and checks:
  * 0 lost: every accepted scanRef finished (status via /api/v2/status) and its webhook arrived;
  * 0 duplicate results: exactly one IDENTIFICATION_AUTO_FINISHED per scanRef, and its body equals the stored result;
  * every webhook signature verifies (HMAC-SHA256 of the exact body bytes).
Prints submissions/s (accept rate), verifications/s end to end, and webhook latency percentiles.
"""
import argparse, base64, hashlib, hmac, http.client, json, os, subprocess, sys, tempfile
import threading, time
from concurrent.futures import ThreadPoolExecutor

from benchlib import document_paths, listening_address, webhook_receiver


def main():
    ap = argparse.ArgumentParser()
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(repo, "target")
    ap.add_argument("--bin", default=os.environ.get("KYCD_BIN") or os.path.join(target, "release", "kycd"))
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=7200)
    args = ap.parse_args()

    docs = [base64.b64encode(open(p, "rb").read()).decode() for p in document_paths()]
    assert docs, "no documents found"

    received = {}
    lock = threading.Lock()
    signing = {}

    def on_post(path, headers, body):
        sig = headers.get("Idenfy-Signature", "")
        ok = hmac.compare_digest(sig, hmac.new(signing["key"], body, hashlib.sha256).hexdigest())
        v = json.loads(body)
        with lock:
            received.setdefault(v["scanRef"], []).append(
                (headers.get("Idenfy-Event-Type"), ok, time.time(), v))

    hook_url = webhook_receiver(on_post) + "/hook"

    os.makedirs(target, exist_ok=True)
    work = tempfile.mkdtemp(prefix="kycd-soak-", dir=target)
    env = dict(os.environ, KYCD_DATA_DIR=os.path.join(work, "data"), KYCD_BIND="127.0.0.1:0", KYCD_LOG="warn",
               KYCD_WORKERS=str(args.workers), KYCD_WEBHOOK_ALLOW_PRIVATE="true")
    env.pop("KYCD_DATABASE_URL", None)
    partner = json.loads(subprocess.check_output(
        [args.bin, "partner", "create", "--name", "soak", "--direct-processing", "--webhook-url", hook_url], env=env))
    signing["key"] = partner["signingKey"].encode()
    server = subprocess.Popen([args.bin, "serve"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        host, port = listening_address(server)
        auth = "Basic " + base64.b64encode(f"{partner['apiKey']}:{partner['apiSecret']}".encode()).decode()

        def call(path, body):
            c = http.client.HTTPConnection(host, int(port), timeout=120)
            c.request("POST", path, body=body, headers={"Authorization": auth, "Content-Type": "application/json"})
            r = c.getresponse()
            d = r.read()
            c.close()
            return r.status, d

        submitted = {}

        def submit(i):
            st, tok = call("/api/v2/token", json.dumps({"clientId": f"soak-{i}", "tokenType": "DOCUMENT"}))
            assert st == 201, tok
            t = json.loads(tok)
            body = json.dumps({"authToken": t["authToken"], "country": "LT", "documentType": "PASSPORT",
                               "images": {"FRONT": docs[i % len(docs)]}})
            st, resp = call("/api/v2/process", body)
            assert st == 200, resp
            return t["scanRef"], time.time()

        t0 = time.time()
        with ThreadPoolExecutor(args.concurrency) as ex:
            for scan, at in ex.map(submit, range(args.n)):
                submitted[scan] = at
        accept_s = time.time() - t0
        print(f"accepted {len(submitted)} submissions in {accept_s:.1f} s ({len(submitted) / accept_s:.1f}/s)",
              flush=True)

        deadline = time.time() + args.timeout
        last = -1
        while time.time() < deadline:
            with lock:
                n = sum(1 for s in submitted if s in received)
            if n != last:
                print(f"  webhooks for {n}/{len(submitted)} verifications ({time.time() - t0:.0f} s)", flush=True)
                last = n
            if n == len(submitted):
                break
            time.sleep(2)
        total_s = time.time() - t0
        time.sleep(3)  # any duplicate would arrive now

        lost = [s for s in submitted if s not in received]
        dup = [s for s, v in received.items() if len([e for e in v if e[0] == "IDENTIFICATION_AUTO_FINISHED"]) != 1]
        bad_sig = sum(1 for v in received.values() for e in v if not e[1])
        mismatched = 0
        overall = {}
        for s in list(submitted)[:: max(1, len(submitted) // 200)]:
            st, resp = call("/api/v2/status", json.dumps({"scanRef": s}))
            stored = json.loads(resp)
            hook_status = received[s][0][3]["status"]["overall"] if s in received else None
            if stored["status"] != hook_status:
                mismatched += 1
        for v in received.values():
            o = v[0][3]["status"]["overall"] + "/" + v[0][3]["status"]["autoDocument"]
            overall[o] = overall.get(o, 0) + 1
        lat = sorted(received[s][0][2] - submitted[s] for s in submitted if s in received)
        print(json.dumps({
            "verifications": len(submitted), "lost": len(lost), "duplicateResults": len(dup),
            "badSignatures": bad_sig, "statusMismatches": mismatched,
            "acceptPerSec": round(len(submitted) / accept_s, 1),
            "endToEndPerSec": round(len(submitted) / total_s, 2), "totalSeconds": round(total_s, 1),
            "webhookLatencyP50s": round(lat[len(lat) // 2], 1) if lat else None,
            "webhookLatencyP95s": round(lat[int(len(lat) * 0.95)], 1) if lat else None,
            "outcomes": overall, "workers": args.workers,
        }, indent=1))
        if lost or dup or bad_sig or mismatched:
            sys.exit(1)
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
