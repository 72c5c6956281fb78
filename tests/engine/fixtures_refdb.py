"""Generated inputs for the reference-database tests: small geotagged photos, a
synthetic equirectangular panorama and every kind of bad input the ingest must
survive. Made by code into a tmp folder; nothing is copied from the datasets."""
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

AMSTERDAM = (52.3731, 4.8922)


def _dms(value):
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 4)
    return (float(d), float(m), float(s))


def gps_exif(lat, lon, heading=None):
    ex = Image.Exif()
    gps = {1: "N" if lat >= 0 else "S", 2: _dms(lat), 3: "E" if lon >= 0 else "W", 4: _dms(lon)}
    if heading is not None:
        gps[16] = "T"
        gps[17] = float(heading)
    ex[0x8825] = gps
    ex[0x0132] = "2024:05:01 12:00:00"
    return ex


def scene(seed, size=(160, 120)):
    """A distinct textured RGB image per seed (blocks + lines, so ORB finds corners)."""
    rng = np.random.default_rng(seed)
    w, h = size
    img = np.full((h, w, 3), rng.integers(40, 200, 3), dtype=np.uint8)
    for _ in range(12):
        x0, y0 = rng.integers(0, max(w - 10, 1)), rng.integers(0, max(h - 10, 1))
        img[y0:y0 + rng.integers(5, 40), x0:x0 + rng.integers(5, 40)] = rng.integers(0, 255, 3)
    return img


def photo(path, seed, lat, lon, heading=None, size=(160, 120), mode="RGB"):
    im = Image.fromarray(scene(seed, size))
    if mode != "RGB":
        im = im.convert(mode)
    im.save(path, exif=gps_exif(lat, lon, heading), quality=90)
    return Path(path)


def make_photos(folder, n, start=0):
    """n distinct geotagged photos p000.jpg ... in Amsterdam, headings 0, 10, 20..."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lat, lon = AMSTERDAM
    return [photo(folder / f"p{i:03d}.jpg", 100 + i, lat + 0.0005 * i, lon + 0.0003 * (i % 7), heading=10 * i)
            for i in range(start, start + n)]


def panorama(path, seed, size=(512, 256)):
    """A 2:1 image with XMP GPano equirectangular metadata (so small sizes count)."""
    img = scene(seed, size)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:GPano="http://ns.google.com/photos/1.0/panorama/" '
           b'GPano:ProjectionType="equirectangular" GPano:PoseHeadingDegrees="90.0"/></rdf:RDF></x:xmpmeta>')
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + xmp
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    data = buf.tobytes()
    Path(path).write_bytes(data[:2] + app1 + data[2:])
    return Path(path)


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(path, width=30000, height=30000):
    """A tiny PNG whose header claims width x height pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * (1 + 3 * 16))
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", body)
                           + _png_chunk(b"IEND", b""))
    return Path(path)


def bad_inputs(folder):
    """Write every bad input; returns {file name: expected words in the reason}
    for the unusable ones and the list of names that must be indexed."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lat, lon = AMSTERDAM
    unusable = {}
    (folder / "empty.jpg").write_bytes(b"")
    unusable["empty.jpg"] = "empty"
    good = photo(folder / "_source.jpg", 1, lat, lon, size=(320, 240)).read_bytes()
    (folder / "_source.jpg").unlink()
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 2])
    unusable["truncated.jpg"] = "truncated"
    (folder / "text.jpg").write_text("this is not an image\n")
    unusable["text.jpg"] = "not an image"
    png_bomb(folder / "bomb.png")
    unusable["bomb.png"] = "decompression bomb"
    png_bomb(folder / "bomb_132mp.png", 12000, 11000)  # under Pillow's hard limit, over ours
    unusable["bomb_132mp.png"] = "decompression bomb"
    photo(folder / "gps_zero.jpg", 2, 0.0, 0.0)
    unusable["gps_zero.jpg"] = "0,0"
    Image.fromarray(scene(3)).save(folder / "no_gps.jpg")
    unusable["no_gps.jpg"] = "no GPS"
    photo(folder / "tiny.jpg", 4, lat, lon, size=(40, 10))
    unusable["tiny.jpg"] = "too small"
    # positions given by the coordinates CSV: NaN and out of range
    Image.fromarray(scene(5)).save(folder / "csv_nan.jpg")
    unusable["csv_nan.jpg"] = "NaN"
    Image.fromarray(scene(6)).save(folder / "csv_range.jpg")
    unusable["csv_range.jpg"] = "out of range"
    usable = []
    photo(folder / "cmyk.jpg", 7, lat + 0.001, lon, mode="CMYK")
    usable.append("cmyk.jpg")
    grey16 = (np.linspace(0, 65535, 160 * 120).reshape(120, 160)).astype(np.uint16)
    Image.fromarray(grey16, mode="I;16").save(folder / "grey16.png")
    usable.append("grey16.png")
    rgb16 = (scene(8).astype(np.uint16) * 257)
    cv2.imwrite(str(folder / "rgb16.png"), cv2.cvtColor(rgb16, cv2.COLOR_RGB2BGR))
    usable.append("rgb16.png")
    rgb16_tif = folder / "rgb16.tif"
    cv2.imwrite(str(rgb16_tif), cv2.cvtColor(rgb16, cv2.COLOR_RGB2BGR))
    usable.append("rgb16.tif")
    photo(folder / "ok.jpg", 9, lat, lon + 0.001)
    usable.append("ok.jpg")
    csv = folder / "coords.csv"
    csv.write_text("file,lat,lon\n"
                   "csv_nan.jpg,nan,4.9\n"
                   "csv_range.jpg,95.0,4.9\n"
                   f"grey16.png,{lat + 0.002},{lon}\n"
                   f"rgb16.png,{lat + 0.003},{lon}\n"
                   f"rgb16.tif,{lat + 0.004},{lon}\n")
    return unusable, usable, csv
