#!/usr/bin/env python3
"""PDF report generation through the API (issue 20): `POST /api/v2/generate-pdf` on real verifications.

1. Starts the release `kycd serve` on the embedded default (SQLite + local files) in a scratch data folder.
2. Submits `--verifications` real verifications (shared passport photos with a shared face photo as the selfie) and
   waits until each is processed.
3. Calls `/api/v2/generate-pdf` `--requests` times round-robin over them, one at a time, and reports the latency
   p50/p95/max (store read + image decryption + layout + base64, as a partner gets it), the report sizes, and checks
   every report with `qpdf --check`.

    cargo build --release -p kycd && python3 bench/report_pdf.py --verifications 5 --requests 100
"""
import argparse, base64, json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
from benchlib import REPO, post_json, serve  # noqa: E402

DOCS = ["passporteye/100_pass-uto.jpg", "passporteye/100_pass-lux.jpg", "fastmrz/td3.jpg",
        "ultimatemrz/Czech_passport_2005_MRZ_orient3_1300x1002.jpg", "fastmrz/passport_uk.jpg"]
SELFIE = "faces/face_recognition/obama.jpg"


def pctl(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, round((len(v) - 1) * p))]


def main():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verifications", type=int, default=5)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--bin", default=os.path.join(target, "release", "kycd"))
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        sys.exit(f"{args.bin} not found: cargo build --release -p kycd")
    shared = os.path.join(REPO, "..", "shared", "data")
    work = tempfile.mkdtemp(prefix="kycd-report-", dir=target)
    env = dict(os.environ, KYCD_DATA_DIR=os.path.join(work, "data"), KYCD_BIND="127.0.0.1:0", KYCD_LOG="warn",
               KYCD_LISTS_REFRESH="off")
    for k in ("KYCD_DATABASE_URL", "KYCD_BLOB_URL"):
        env.pop(k, None)
    partner = json.loads(subprocess.check_output(
        [args.bin, "partner", "create", "--name", "bench", "--direct-processing", "--aml", "off"], env=env))
    server, host, port = serve(args.bin, env)
    try:
        b64 = lambda rel: base64.b64encode(open(os.path.join(shared, rel), "rb").read()).decode()
        selfie = b64(SELFIE)
        scans = []
        for i in range(args.verifications):
            st, tok = post_json(host, port, partner, "/api/v2/token", json.dumps({"clientId": f"c{i}"}))
            tok = json.loads(tok)
            body = json.dumps({"token": tok["authToken"], "country": "SE", "documentType": "PASSPORT",
                               "images": {"FRONT": b64("documents/" + DOCS[i % len(DOCS)]), "FACE": selfie}})
            st, r = post_json(host, port, partner, "/api/v2/process", body)
            if st != 200:
                sys.exit(f"/process answered {st}: {r[:200]}")
            scans.append(tok["scanRef"])
        for scan in scans:
            deadline = time.time() + 300
            while True:
                _, r = post_json(host, port, partner, "/api/v2/status", json.dumps({"scanRef": scan}))
                if json.loads(r).get("autoDocument") is not None:
                    break
                if time.time() > deadline:
                    sys.exit(f"{scan} not processed in 300 s")
                time.sleep(0.5)
        ms, sizes = [], []
        for i in range(args.requests):
            scan = scans[i % len(scans)]
            t = time.perf_counter()
            st, r = post_json(host, port, partner, "/api/v2/generate-pdf", json.dumps({"scanRef": scan}))
            ms.append((time.perf_counter() - t) * 1e3)
            if st != 200:
                sys.exit(f"/generate-pdf answered {st}: {r[:200]}")
            if i < len(scans):
                pdf = base64.b64decode(json.loads(r)["pdf"])
                sizes.append(len(pdf))
                path = os.path.join(work, f"r{i}.pdf")
                open(path, "wb").write(pdf)
                subprocess.run(["qpdf", "--check", path], check=True, stdout=subprocess.DEVNULL)
        print(f"generate-pdf over HTTP: {args.requests} requests on {len(scans)} verifications: "
              f"p50 {pctl(ms, 0.5):.1f} ms, p95 {pctl(ms, 0.95):.1f} ms, max {max(ms):.1f} ms; "
              f"reports {min(sizes) // 1024}-{max(sizes) // 1024} KiB, all pass qpdf --check")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
