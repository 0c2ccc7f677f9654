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
