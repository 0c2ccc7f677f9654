#!/usr/bin/env python3
"""Decision benchmark (issue 16): what the customer gets, end to end, over generated cases.

Usage: bench/decision.py [--n 400] [--seed-base 9000] [--cases DIR] [--bin target/release/kycd] [--out FILE]
                         [--no-face-eval] [--keep]

1. Generates the cases with `cargo run --release -p kycd-synth --example decision_cases` (passports and TD1 cards,
   clean/mild/moderate/heavy photographs; genuine, impostor selfie, expired, bad check digit, specimen overprint;
   the printed portrait and the selfie come from ../shared/data/faces), unless --cases names a folder that has them.
   Seeds 1000-1079 and 7000-7399 were used while fixing what the benchmark found; the reported figures come from
   seeds 9000-9399 (the default), which nothing was tuned on. Use another --seed-base for a fresh check.
2. Starts the release `kycd serve` on the embedded default (SQLite, local files, in-process workers), with every
   quality gate on, one partner per case (so that cases sharing a face identity are not each other's duplicates).
3. Submits the cases one at a time over HTTP (token + /process, as a partner's server does), waits for each
   webhook, verifies its signature and scores it:
   - genuine approved % (overall APPROVED) and false approvals (impostor, expired, bad check digit or specimen
     APPROVED), per level;
   - fields exact %: docFirstName, docLastName, docNumber, docDob, docExpiry, docSex, docNationality of the webhook's
     `data` against the truth, over every case (rejected ones too);
   - DOC_INFO_MISMATCH rate on the genuine cases;
   - per-stage times from the evidence (`kycd.stageMs`) and /process -> webhook latency (idle server, one
     verification at a time);
   - document portrait <-> selfie TAR/FAR from the generator's face evaluation (every document photo against every
     shared face photo: same identity genuine, other identity impostor).
Prints a JSON summary and Markdown tables; --out writes the JSON (with every case's outcome) to FILE.
"""
import argparse, base64, hashlib, hmac, json, os, shutil, subprocess, sys, tempfile
import threading, time

from benchlib import post_json, serve, webhook_receiver

LEVELS = ["clean", "mild", "moderate", "heavy"]
FIELDS = ["docFirstName", "docLastName", "docNumber", "docDob", "docExpiry", "docSex", "docNationality"]


def pctl(values, p):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(round((len(s) - 1) * p)))]


def pct(a, n):
    return round(100.0 * a / n, 1) if n else None


def norm(v):
    return " ".join(str(v).upper().split()) if v is not None else None


def generate(args, repo):
    folder = args.cases or os.path.join(args.target, f"decision-cases-{args.seed_base}-{args.n}")
    if not os.path.exists(os.path.join(folder, "cases.jsonl")):
        cmd = ["cargo", "run", "--release", "-q", "-p", "kycd-synth", "--example", "decision_cases", "--",
               "--out", folder, "--n", str(args.n), "--seed-base", str(args.seed_base)]
        if not args.no_face_eval:
            cmd.append("--face-eval")
        print("generating:", " ".join(cmd), flush=True)
        subprocess.run(cmd, cwd=repo, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(folder, "cases.jsonl")) as f:
        cases = [json.loads(line) for line in f if line.strip()]
    face = None
    if os.path.exists(os.path.join(folder, "face_eval.json")):
        with open(os.path.join(folder, "face_eval.json")) as f:
            face = json.load(f)
    return cases[: args.n], face


def main():
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(repo, "target")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--seed-base", type=int, default=9000)
    ap.add_argument("--cases", help="folder with cases.jsonl (generated when missing)")
    ap.add_argument("--bin", default=os.environ.get("KYCD_BIN") or os.path.join(target, "release", "kycd"))
    ap.add_argument("--out", help="write the JSON summary and every case's outcome here")
    ap.add_argument("--no-face-eval", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the server's data folder")
    ap.add_argument("--timeout", type=float, default=180, help="seconds to wait for one webhook")
    args = ap.parse_args()
    args.target = target
    if not os.path.exists(args.bin):
        sys.exit(f"{args.bin} not found: cargo build --release -p kycd")

    cases, face = generate(args, repo)
    print(f"{len(cases)} cases", flush=True)

    hooks, cond = {}, threading.Condition()
    keys = {}

    def on_post(path, headers, body):
        case = path.rsplit("/", 1)[-1]
        sig = headers.get("Idenfy-Signature", "")
        ok = case in keys and hmac.compare_digest(sig, hmac.new(keys[case], body, hashlib.sha256).hexdigest())
        with cond:
            hooks.setdefault(case, []).append((time.time(), ok, json.loads(body)))
            cond.notify_all()

    hook_url = webhook_receiver(on_post) + "/hook"

    os.makedirs(target, exist_ok=True)
    work = tempfile.mkdtemp(prefix="kycd-decision-", dir=target)
    env = dict(os.environ, KYCD_DATA_DIR=os.path.join(work, "data"), KYCD_BIND="127.0.0.1:0", KYCD_LOG="warn",
               KYCD_WEBHOOK_ALLOW_PRIVATE="true")
    for k in ("KYCD_DATABASE_URL", "KYCD_BLOB_URL"):
        env.pop(k, None)
    # The sanctions lists a deployment screens against (official formats from ../shared/data/sanctions): without
    # them every screening fails and no verification is approved (AML_FAILED).
    lists = os.path.join(repo, "..", "shared", "data", "sanctions")
    for fmt, path in [("ofac-csv", "ofac_sdn_2024/sdn.csv"), ("un-xml", "un/consolidated.xml"),
                      ("eu-aggregate-json", "eu/pakote_all_2026-01-28.json"), ("uk-csv", "uk/sample_ofsi_conlist.csv")]:
        subprocess.run([args.bin, "lists", "import", "--format", fmt, os.path.join(lists, path)], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partners = {}
    t0 = time.time()
    for c in cases:
        p = json.loads(subprocess.check_output(
            [args.bin, "partner", "create", "--name", c["id"], "--direct-processing",
             "--webhook-url", f"{hook_url}/{c['id']}"], env=env))
        partners[c["id"]] = p
        keys[c["id"]] = p["signingKey"].encode()
    print(f"{len(partners)} partners created ({time.time() - t0:.0f} s)", flush=True)

    server, host, port = serve(args.bin, env)
    results = []
    try:

        def call(partner, path, body):
            return post_json(host, port, partner, path, body)

        t_all = time.time()
        for i, case in enumerate(cases):
            partner = partners[case["id"]]
            st, tok = call(partner, "/api/v2/token", json.dumps({"clientId": case["id"]}))
            if st != 201:
                sys.exit(f"token for {case['id']}: {st} {tok[:300]}")
            token = json.loads(tok)
            images = {}
            for step, path in case["images"].items():
                with open(path, "rb") as f:
                    images[step] = base64.b64encode(f.read()).decode()
            body = json.dumps({"authToken": token["authToken"], "country": case["country"],
                               "documentType": case["documentType"], "images": images})
            sent = time.time()
            st, resp = call(partner, "/api/v2/process", body)
            outcome = {"id": case["id"], "level": case["level"], "kind": case["kind"], "class": case["class"],
                       "expected": case["expected"], "processStatus": st}
            if st != 200 or resp.strip():
                # Photo validation failed synchronously (200 with an error body) or the request was refused: the
                # customer is turned away at upload, which for a genuine customer is a rejection.
                try:
                    err = json.loads(resp)
                except ValueError:
                    err = {"raw": resp[:200].decode(errors="replace")}
                outcome.update(overall="PROCESS_ERROR", error=err.get("identifier") or err)
            else:
                deadline = sent + args.timeout
                with cond:
                    while case["id"] not in hooks and time.time() < deadline:
                        cond.wait(timeout=1)
                    got = hooks.get(case["id"])
                if not got:
                    outcome.update(overall="NO_WEBHOOK")
                else:
                    at, ok, hookbody = got[0]
                    status = hookbody.get("status") or {}
                    data = hookbody.get("data") or {}
                    ev = hookbody.get("kycd") or {}
                    outcome.update(
                        overall=status.get("overall"), signatureOk=ok, latency=at - sent,
                        autoDocument=status.get("autoDocument"), autoFace=status.get("autoFace"),
                        fraudTags=status.get("fraudTags") or [], mismatchTags=status.get("mismatchTags") or [],
                        suspicionReasons=status.get("suspicionReasons") or [],
                        denyReasons=status.get("denyReasons") or [],
                        stageMs=ev.get("stageMs") or {},
                        faceDistance=(ev.get("face") or {}).get("distance"),
                        samePhoto=((ev.get("face") or {}).get("samePhoto")),
                        mrz=(ev.get("document") or {}).get("mrz"),
                        vizMismatches=(ev.get("document") or {}).get("vizMismatches"),
                        rules=[r for r in ev.get("rules") or [] if r.get("produced") not in (None, "NONE")],
                        fields={k: (norm(data.get(k)), norm(case["truth"].get(k))) for k in FIELDS})
            results.append(outcome)
            if (i + 1) % 20 == 0 or i + 1 == len(cases):
                print(f"  {i + 1}/{len(cases)} ({time.time() - t_all:.0f} s)", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    summary = score(results, face)
    print(json.dumps(summary, indent=1))
    print(markdown(summary))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"summary": summary, "cases": results}, f, indent=1)
    if summary["lost"] or summary["badSignatures"]:
        sys.exit(1)


def score(results, face):
    out = {"cases": len(results), "levels": {}, "lost": 0, "badSignatures": 0}
    for level in LEVELS + ["all"]:
        rs = [r for r in results if level == "all" or r["level"] == level]
        genuine = [r for r in rs if r["class"] == "genuine"]
        bad = [r for r in rs if r["class"] != "genuine"]
        approved = [r for r in genuine if r["overall"] == "APPROVED"]
        false_approvals = [r for r in bad if r["overall"] == "APPROVED"]
        right_reason = [r for r in bad if r["overall"] != "APPROVED" and reason_ok(r)]
        exact = total = 0
        for r in rs:
            for got, want in (r.get("fields") or {}).values():
                if want is None:
                    continue
                total += 1
                exact += got == want
        doc_ms = [r["stageMs"]["document"] for r in rs if "document" in r.get("stageMs", {})]
        face_ms = [r["stageMs"]["face"] for r in rs if "face" in r.get("stageMs", {})]
        lat = [r["latency"] for r in rs if "latency" in r]
        mismatch = [r for r in genuine if "DOC_INFO_MISMATCH" in r.get("mismatchTags", [])]
        failures = {}
        for r in genuine:
            if r["overall"] != "APPROVED":
                k = f"{r['overall']}:{r.get('autoDocument') or r.get('error')}/{r.get('autoFace')}"
                failures[k] = failures.get(k, 0) + 1
        out["levels"][level] = {
            "genuine": len(genuine), "genuineApproved": len(approved),
            "genuineApprovedPct": pct(len(approved), len(genuine)),
            "bad": len(bad), "falseApprovals": len(false_approvals),
            "falseApprovalCases": [f"{r['id']} ({r['class']})" for r in false_approvals],
            "badWithExpectedReason": len(right_reason),
            "fieldsExactPct": pct(exact, total), "fieldsExact": exact, "fields": total,
            "docInfoMismatchOnGenuinePct": pct(len(mismatch), len(genuine)),
            "documentStageMsP50": pctl(doc_ms, 0.5), "documentStageMsP95": pctl(doc_ms, 0.95),
            "faceStageMsP50": pctl(face_ms, 0.5),
            "processToWebhookSecP50": round(pctl(lat, 0.5), 2) if lat else None,
            "processToWebhookSecP95": round(pctl(lat, 0.95), 2) if lat else None,
            "genuineFailures": failures,
        }
        if face:
            out["levels"][level]["docSelfie"] = face["all"] if level == "all" else face["levels"].get(level)
    out["lost"] = sum(1 for r in results if r["overall"] == "NO_WEBHOOK")
    out["badSignatures"] = sum(1 for r in results if r.get("signatureOk") is False)
    return out


def reason_ok(r):
    """Whether a rejected bad case was rejected for the reason its class calls for."""
    want = r["expected"].split(":", 1)[1] if ":" in r["expected"] else None
    seen = {r.get("autoDocument"), r.get("autoFace")} | set(r.get("fraudTags", [])) | set(r.get("denyReasons", []))
    if r["class"] == "bad_digit":
        return bool(seen & {"MRZ_INVALID", "MRZ_OCR_READING_ERROR"})
    if r["class"] == "impostor":
        return bool(seen & {"FACE_MISMATCH", "FACE_UNCERTAIN"})
    return want in seen


def markdown(s):
    rows = ["| level | genuine approved | false approvals | bad rejected for the right reason | fields exact | "
            "DOC_INFO_MISMATCH on genuine | doc↔selfie TAR @ FAR 0.1 % | TAR / FAR at the service threshold | "
            "document stage p50 / p95 | /process → webhook p50 / p95 |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for level in LEVELS + ["all"]:
        x = s["levels"][level]
        f = x.get("docSelfie") or {}
        rows.append(
            f"| {level} | {x['genuineApproved']}/{x['genuine']} ({x['genuineApprovedPct']} %) | "
            f"{x['falseApprovals']}/{x['bad']} | {x['badWithExpectedReason']}/{x['bad']} | "
            f"{x['fieldsExactPct']} % | {x['docInfoMismatchOnGenuinePct']} % | "
            f"{f.get('tarAtFar0.1', '–')} % | {f.get('tarAtServiceThreshold', '–')} % / "
            f"{f.get('farAtServiceThreshold', '–')} % | {x['documentStageMsP50']} / {x['documentStageMsP95']} ms | "
            f"{x['processToWebhookSecP50']} / {x['processToWebhookSecP95']} s |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
