#!/usr/bin/env python3
"""Master-key rotation throughput: `kycd serve` (all-in-one, SQLite + local blobs) with N finished verifications
(two images each, `skipAnalysis`, prefilled names, webhook bodies), then `kycd keys rotate` while the service runs and
a client keeps polling `/api/v2/status`. Prints the time of the rotation (including its fixed wait of 6 s for running
servers to take the new key), values and images re-wrapped per second, the status calls that failed during it (goal:
0) and the latency of those calls.

Usage: bench/keys.py [--bin target/release/kycd] [--n 2000] [--batch 500]
"""
import argparse, base64, json, os, shutil, subprocess, sys, tempfile, threading, time
from concurrent.futures import ThreadPoolExecutor

from benchlib import REPO, png
from load import Kycd


def main():
    ap = argparse.ArgumentParser()
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    ap.add_argument("--bin", default=os.environ.get("KYCD_BIN") or os.path.join(target, "release", "kycd"))
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="kycd-keys-", dir=target)
    k = Kycd(args.bin, os.path.join(work, "k"), {"KYCD_WORKERS": "2"}, [])
    try:
        front = base64.b64encode(png(320, 200)).decode()
        face = base64.b64encode(png(120, 160)).decode()

        def submit(i):
            letters = "".join(chr(ord("A") + int(d)) for d in str(i))
            st, tok = k.call("/api/v2/token", json.dumps({"clientId": f"keys-{i}", "firstName": "JONAS",
                                                           "lastName": f"TESTAS{letters}"}))
            assert st == 201, tok
            tok = json.loads(tok)
            st, resp = k.call("/api/v2/process", json.dumps({
                "authToken": tok["authToken"], "country": "LT", "documentType": "PASSPORT", "skipAnalysis": True,
                "images": {"FRONT": front, "FACE": face}}))
            assert st == 200, resp
            return tok["scanRef"]

        t0 = time.time()
        with ThreadPoolExecutor(8) as ex:
            scans = list(ex.map(submit, range(args.n)))
        while True:
            st, v = k.call("/api/v2/status", json.dumps({"scanRef": scans[-1]}))
            if json.loads(v)["status"] not in ("ACTIVE", "REVIEWING"):
                break
            time.sleep(0.5)
        print(f"seeded {len(scans)} verifications in {time.time() - t0:.1f} s", flush=True)

        stop = threading.Event()
        lat, failures = [], []

        def poll():
            i = 0
            while not stop.is_set():
                s = scans[i % len(scans)]
                t = time.time()
                st, v = k.call("/api/v2/status", json.dumps({"scanRef": s}))
                lat.append((time.time() - t) * 1000)
                if st != 200:
                    failures.append((st, v[:200]))
                i += 7

        th = threading.Thread(target=poll, daemon=True)
        th.start()
        t0 = time.time()
        out = subprocess.run([args.bin, "keys", "rotate", "--batch", str(args.batch)], env=k.env,
                             capture_output=True, text=True)
        rotate_s = time.time() - t0
        stop.set()
        th.join()
        if out.returncode != 0:
            sys.exit(f"kycd keys rotate failed: {out.stderr}")
        status = json.loads(subprocess.check_output([args.bin, "keys", "status", "--json"], env=k.env))
        r = status["rotation"]
        work_s = max(rotate_s - 6.0, 0.001)
        lat.sort()
        print(json.dumps({
            "verifications": len(scans), "rotate_s": round(rotate_s, 1),
            "values_rewrapped": r["valuesRewrapped"], "images_rewrapped": r["blobsRewrapped"],
            "values_per_s_after_wait": round(r["valuesRewrapped"] / work_s),
            "images_per_s_after_wait": round(r["blobsRewrapped"] / work_s),
            "passes": r["passes"], "state": r["state"],
            "status_calls_during": len(lat), "status_failures": len(failures),
            "status_p50_ms": round(lat[len(lat) // 2], 1) if lat else None,
            "status_p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1) if lat else None,
        }, indent=2))
        if failures:
            print("failures:", failures[:5], file=sys.stderr)
            sys.exit(1)
    finally:
        k.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
