"""Side-by-side baseline: Python face_recognition 1.3.0 (dlib HOG at full size with its default
one 2x upsample, 5-point landmarks, the same dlib ResNet model, 1 jitter) on the same pairs as
crates/kycd-face/examples/face_eval.rs. Writes bench/face/out/baseline/summary.json."""
import json
import os
import sys
import time

import face_recognition  # noqa: E402

FACES = os.path.join(os.path.dirname(__file__), "../../../shared/data/faces")
OUT = os.path.join(os.path.dirname(__file__), "out/baseline")
os.makedirs(OUT, exist_ok=True)
m = json.load(open(os.path.join(FACES, "manifest.json")))

enc, ms = {}, []
for f in m["files"]:
    t = time.perf_counter()
    img = face_recognition.load_image_file(os.path.join(FACES, f["file"]))
    locs = face_recognition.face_locations(img)  # HOG, upsample 1, full size
    e = None
    if locs:
        big = max(locs, key=lambda r: (r[2] - r[0]) * (r[1] - r[3]))
        e = face_recognition.face_encodings(img, [big])[0]
    ms.append((time.perf_counter() - t) * 1e3)
    enc[f["file"]] = (e, len(locs))
    print(f["file"], len(locs), f"{ms[-1]:.0f} ms", file=sys.stderr)

singles = [f for f in m["files"] if f["identity"] and f["faces_in_image"] == 1]
def d(a, b):
    ea, eb = enc[a][0], enc[b][0]
    if ea is None or eb is None:
        return float("inf")
    return float(((ea - eb) ** 2).sum() ** 0.5)

gen, imp, imp_pairs = [], [], []
for i, a in enumerate(singles):
    for b in singles[i + 1:]:
        x = d(a["file"], b["file"])
        if a["identity"] == b["identity"]:
            gen.append(x)
        else:
            imp.append(x)
            imp_pairs.append((a["file"], b["file"], x))
gb, ib, used = [], [], set()
for p in m["upstream_labelled_pairs"]:
    if p["a"] not in enc or p["b"] not in enc:
        continue
    used.add(tuple(sorted((p["a"], p["b"]))))
    (gb if p["same_person"] else ib).append(d(p["a"], p["b"]))
for a, b, x in imp_pairs:
    if len(ib) >= 1000:
        break
    k = tuple(sorted((a, b)))
    if k not in used:
        used.add(k)
        ib.append(x)

def tar_at_far(g, i, far=0.001):
    s = sorted(i)
    allowed = int(far * len(s))
    t = s[allowed] - 1e-6 if allowed < len(s) else float("inf")
    return t, sum(x <= t for x in g) / len(g), sum(x <= t for x in i) / len(i)

def pct(v, p):
    v = sorted(v)
    return v[round((len(v) - 1) * p)]

multi = [f for f in m["files"] if not (f["identity"] and f["faces_in_image"] == 1)]
res = {
    "package": "face_recognition 1.3.0 + dlib (PyPI)",
    "detection": {"single_face_images": len(singles),
                  "face_found": sum(enc[f["file"]][0] is not None for f in singles),
                  "exactly_one": sum(enc[f["file"]][1] == 1 for f in singles),
                  "multi_face_images_with_2plus": sum(enc[f["file"]][1] >= 2 for f in multi)},
    "pairs_all_rule": dict(zip(["threshold", "tar", "far"], tar_at_far(gen, imp)), genuine=len(gen), impostor=len(imp),
                           tar_at_0_6=sum(x <= 0.6 for x in gen) / len(gen), far_at_0_6=sum(x <= 0.6 for x in imp) / len(imp)),
    "pairs_baseline_protocol": dict(zip(["threshold", "tar", "far"], tar_at_far(gb, ib)), genuine=len(gb), impostor=len(ib)),
    "latency_ms": {"per_image_p50": pct(ms, 0.5), "per_image_p95": pct(ms, 0.95)},
}
json.dump(res, open(os.path.join(OUT, "summary.json"), "w"), indent=1)
print(json.dumps(res, indent=1))
