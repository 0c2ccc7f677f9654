#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets from the shared data folder (nothing is copied into the repository).

Usage: make_seeds.py DATA_DIR CORPUS_DIR [TARGET ...]

DATA_DIR is the shared data folder (documents/, pdf/, bills/); seeds go to CORPUS_DIR/<target>/seed-*. Only the
Python standard library is needed; ImageMagick's `convert`, when installed, makes small thumbnails of the sample
photos, and poppler's `pdftoppm` small JPEG/PNG renderings of the sample PDFs; the smallest sample images and the
PNG files and PDFs built here are used in any case. Seeds are kept
small (a few KiB) so that libFuzzer mutates them quickly.
"""

import base64
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

MAX_SEED = 48 * 1024


def write(corpus, target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------------------------


def png(width, height, rows=None, colour_type=2, bit_depth=8, declared=None, extra_chunks=()):
    """A PNG; `declared` overrides the header's (width, height) while keeping the real pixel data."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    if rows is None:
        row_len = (width * channels * bit_depth + 7) // 8
        rows = [bytes([0]) + bytes((x * 7 + y * 13) & 0xFF for x in range(row_len)) for y in range(height)]
    dw, dh = declared or (width, height)
    ihdr = struct.pack(">IIBBBBB", dw, dh, bit_depth, colour_type, 0, 0, 0)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if colour_type == 3:
        out += chunk(b"PLTE", bytes(range(48)))
    for kind, body in extra_chunks:
        out += chunk(kind, body)
    out += chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
    return out + chunk(b"IEND", b"")


def png_bomb(side):
    """A PNG announcing side x side gray pixels whose IDAT is a small zlib stream of zero rows (highly
    compressible): decoding it would allocate side*side bytes."""
    row = b"\x00" * (side + 1)
    z = zlib.compressobj(9)
    data = b"".join(z.compress(row) for _ in range(64)) + z.flush()
    return png(1, 1, rows=[b"\x00\x00"], colour_type=0, declared=(side, side))[:33] + (
        struct.pack(">I", len(data)) + b"IDAT" + data + struct.pack(">I", zlib.crc32(b"IDAT" + data))
        + struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    )


def thumbnails(data_dir, tmp):
    """Small JPEG/PNG versions of the sample photos (ImageMagick), else the smallest originals."""
    photos = []
    for sub in ("documents", "bills"):
        for root, _, files in os.walk(os.path.join(data_dir, sub)):
            for f in sorted(files):
                if f.lower().endswith((".jpg", ".jpeg", ".png")):
                    photos.append(os.path.join(root, f))
    photos.sort()
    out = []
    convert = shutil.which("convert")
    if convert:
        for i, p in enumerate(photos[:24]):
            for ext, geom, extra in (
                ("jpg", "64x64", ["-quality", "60"]),
                ("png", "40x40", []),
                ("jpg", "48x48", ["-orient", ["TopLeft", "RightTop", "BottomRight", "LeftBottom"][i % 4]]),
            ):
                dst = os.path.join(tmp, f"t{i}-{geom}.{ext}")
                cmd = [convert, p + "[0]", "-strip", "-resize", geom] + extra + [dst]
                if subprocess.run(cmd, capture_output=True).returncode == 0:
                    with open(dst, "rb") as f:
                        out.append((f"{os.path.basename(p)}-{geom}.{ext}", f.read()))
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm:
        # Poppler renders the sample PDFs to small JPEG and PNG pages (real encoder output, a few KiB each).
        pdfs = [os.path.join(data_dir, "pdf", "pypdf", "unencrypted.pdf")]
        for root, _, files in os.walk(os.path.join(data_dir, "bills")):
            pdfs += [os.path.join(root, f) for f in sorted(files) if f.lower().endswith(".pdf")]
        for i, p in enumerate(p for p in pdfs if os.path.exists(p)):
            for fmt, size in (("-jpeg", 64), ("-png", 40), ("-jpeg", 120)):
                base = os.path.join(tmp, f"r{i}{fmt}{size}")
                cmd = [pdftoppm, fmt, "-f", "1", "-l", "1", "-singlefile", "-scale-to", str(size), p, base]
                if subprocess.run(cmd, capture_output=True, timeout=60).returncode == 0:
                    for ext in ("jpg", "png"):
                        if os.path.exists(f"{base}.{ext}"):
                            with open(f"{base}.{ext}", "rb") as f:
                                out.append((f"{os.path.basename(p)}-{size}.{ext}", f.read()))
    for p in photos:
        if os.path.getsize(p) <= MAX_SEED:
            with open(p, "rb") as f:
                out.append((os.path.basename(p), f.read()))
    return out


def built_images():
    return [
        ("rgb-48x40.png", png(48, 40)),
        ("gray-33x33.png", png(33, 33, colour_type=0)),
        ("rgba16-8x8.png", png(8, 8, colour_type=6, bit_depth=16)),
        ("palette-4bit-16x16.png", png(16, 16, colour_type=3, bit_depth=4)),
        ("text-chunks.png", png(8, 8, extra_chunks=[(b"tEXt", b"k\x00v"), (b"iCCP", b"p\x00\x00" + zlib.compress(b"x" * 64))])),
        ("bomb-50000.png", png_bomb(50000)),
        ("header-100000.png", png(64, 40, declared=(100000, 100000))),
    ]


# ---------------------------------------------------------------------------------------------------------------
# PDFs
# ---------------------------------------------------------------------------------------------------------------


def pdf(objects, root=1, trailer_extra=b""):
    """A PDF from object bodies (object i+1 = objects[i]) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, root, trailer_extra, xref)
    return bytes(out)


def stream(dict_body, data):
    return b"<< %s /Length %d >>\nstream\n" % (dict_body, len(data)) + data + b"\nendstream"


def pdf_with_image(image_stream, w, h):
    content = b"BT /F1 12 Tf 20 760 Td (NAME SURNAME) Tj 0 -14 Td (12 Example Street) Tj ET\n" \
              b"q %d 0 0 %d 20 500 cm /Im1 Do Q\n" % (w * 2, h * 2)
    return pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>",
        stream(b"/Filter /FlateDecode", zlib.compress(content)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        image_stream,
    ])


def built_pdfs(jpeg):
    w, h = 16, 12
    raw = bytes((x * 9 + y * 21) & 0xFF for y in range(h) for x in range(w * 3))
    out = [
        ("flate-rgb-image.pdf", pdf_with_image(stream(
            b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 "
            b"/Filter /FlateDecode" % (w, h), zlib.compress(raw)), w, h)),
        ("indexed-4bit-image.pdf", pdf_with_image(stream(
            b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace [/Indexed /DeviceRGB 15 <%s>] "
            b"/BitsPerComponent 4" % (w, h, (bytes(range(48))).hex().encode()), bytes(w * h // 2)), w, h)),
        ("mask-1bit-image.pdf", pdf_with_image(stream(
            b"/Type /XObject /Subtype /Image /Width %d /Height %d /ImageMask true" % (w, h), bytes(2 * h)), w, h)),
        ("huge-image-dict.pdf", pdf_with_image(stream(
            b"/Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Filter /FlateDecode", zlib.compress(b"\0" * 4096)), w, h)),
    ]
    if jpeg:
        out.append(("dct-image.pdf", pdf_with_image(stream(
            b"/Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceRGB /BitsPerComponent 8 "
            b"/Filter /DCTDecode", jpeg), 64, 64)))
    # A Form XObject holding text, drawn from the page.
    form = stream(b"/Type /XObject /Subtype /Form /BBox [0 0 200 50] /Resources << /Font << /F1 5 0 R >> >>",
                  b"BT /F1 10 Tf 0 0 Td (IN A FORM) Tj ET")
    out.append(("form-xobject.pdf", pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] /Contents 4 0 R "
        b"/Resources << /XObject << /Fm1 6 0 R >> >> >>",
        stream(b"", b"q 1 0 0 1 10 10 cm /Fm1 Do Q [(A) -120 (B)] TJ"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>",
        form,
    ])))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------------------------


def mrz_lines(data_dir):
    try:
        with open(os.path.join(data_dir, "documents", "manifest.json")) as f:
            m = json.load(f)
    except OSError:
        return []
    out = []
    for entry in m.get("files", []):
        for z in entry.get("mrz") or []:
            if z.get("lines"):
                out.append("\n".join(z["lines"]))
    return out


def seeds_mrz(data_dir, corpus):
    for i, text in enumerate(mrz_lines(data_dir)):
        write(corpus, "mrz_parse", f"{i:03}", text.encode())
        # An OCR-like variant: surrounding text and a damaged character.
        write(corpus, "mrz_parse", f"{i:03}-ocr", ("PASSPORT\n" + text.replace("<", "K", 1) + "\n").encode())


# process_body control header: cut points / chunking / Content-Length / limit (see fuzz_targets/process_body.rs).
CTL = [
    bytes([0, 0, 0, 0, 0, 0, 0, 0]),
    bytes([3 | 8, 7, 0, 40, 0, 200, 0, 0]),
    bytes([4, 0, 0, 0, 0, 0, 0, 2]),
    bytes([1 | 8 | 16, 30, 0, 0, 0, 0, 0, 200]),
]


def seeds_process(images, corpus):
    small = [b for _, b in images if len(b) <= 4096][:8] or [png(8, 8)]
    bodies = [
        b"{}",
        b'{"token": "tok", "images": null}',
        b'{"authToken": "abc", "token": null, "country": "LT", "documentType": "PASSPORT", "skipAnalysis": true}',
        b'{"token": "a", "token": "b"}',
        b'{"token": "\\ud83d\\ude00 \\u00e9\\n", "extra": [1, -2.5e3, {"x": [true, false, null]}, "s"]}',
        b'{"images": {"FRONT": "QUJD", "BACK": "QUI=", "FACE": null}}',
        b'{"images": {"FRONT": "data:image/jpeg;base64,QUJDRA==", "BACK": "QU JD"}}',
        b'{"images": {"FRONT": "QU\\/JD", "FRONT": "QUJD"}, "skipAnalysis": false}',
        b'{"images": []}',
        "{\"country\": \"\u00e9\u4e2d\"}".encode(),
        b"\xef\xbb\xbf{}",
        b'{"token": "t"} x',
    ]
    for i, img in enumerate(small):
        b64 = base64.b64encode(img)
        bodies.append(b'{"token": "t%d", "images": {"FRONT": "%s"}}' % (i, b64))
        if i % 2 == 0:
            wrapped = b"\\n".join(b64[j:j + 76] for j in range(0, len(b64), 76))
            bodies.append(b'{"images": {"FACE": "data:image/png;base64,%s", "BACK": "%s"}, "country": "GB"}' % (
                b64, wrapped))
        else:
            bodies.append(b'{"images": {"FRONT": "%s"}, "documentType": "ID_CARD"}' % base64.urlsafe_b64encode(
                img).rstrip(b"="))
    for i, body in enumerate(bodies):
        write(corpus, "process_body", f"{i:03}", CTL[i % len(CTL)] + body)


def seeds_image(images, corpus):
    files = images + built_images()
    for i, (name, data) in enumerate(files):
        if len(data) > MAX_SEED:
            continue
        write(corpus, "image_decode", f"{i:03}-raw-{name}", b"\x02" + data)
        if len(data) <= 8192:
            # Mode 0: the API's image value text (standard, or data URL + line breaks).
            text = base64.b64encode(data)
            if i % 2:
                text = b"data:image/jpeg;base64," + b"\n".join(text[j:j + 76] for j in range(0, len(text), 76))
            write(corpus, "image_decode", f"{i:03}-b64-{name}", b"\x00" + text)
            # Mode 1: the file, re-encoded by the target in the style chosen by the mode byte.
            write(corpus, "image_decode", f"{i:03}-enc-{name}", bytes([1 | ((i * 4) & 0xFC)]) + data)


def seeds_pdf(data_dir, images, corpus):
    n = 0
    for sub in ("pdf", "bills"):
        for root, _, files in os.walk(os.path.join(data_dir, sub)):
            for f in sorted(files):
                p = os.path.join(root, f)
                if f.lower().endswith(".pdf") and os.path.getsize(p) <= 4 * MAX_SEED:
                    with open(p, "rb") as fh:
                        write(corpus, "pdf_inspect", f"{n:03}-{f}", fh.read())
                    n += 1
    jpeg = next((b for name, b in images if name.endswith(".jpg") and len(b) <= 8192), None)
    for name, data in built_pdfs(jpeg):
        write(corpus, "pdf_inspect", f"{n:03}-{name}", data)
        n += 1


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    data_dir, corpus = sys.argv[1], sys.argv[2]
    targets = set(sys.argv[3:]) or {"mrz_parse", "process_body", "image_decode", "pdf_inspect"}
    with tempfile.TemporaryDirectory() as tmp:
        images = thumbnails(data_dir, tmp) if targets & {"process_body", "image_decode", "pdf_inspect"} else []
    if "mrz_parse" in targets:
        seeds_mrz(data_dir, corpus)
    if "process_body" in targets:
        seeds_process(images, corpus)
    if "image_decode" in targets:
        seeds_image(images, corpus)
    if "pdf_inspect" in targets:
        seeds_pdf(data_dir, images, corpus)
    for t in sorted(targets):
        d = os.path.join(corpus, t)
        count = len(os.listdir(d)) if os.path.isdir(d) else 0
        print(f"seeds: {t}: {count} files in {d}")


if __name__ == "__main__":
    main()
