"""Reading images safely: RGB uint8 with EXIF orientation applied, a pixel limit
against decompression bombs, CMYK / 16-bit / palette / grey converted, and EXIF
(GPS, heading, capture time) with every invalid value reported, not guessed."""
import datetime as _dt
import os
import math
import re
import warnings
from typing import Optional

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError
from .geo import valid_wgs84

# 120 megapixels: an 8000x4000 panorama is 32 MP; a 16k x 8k one 128 MP is refused
# by default (pass max_pixels to raise it).
DEFAULT_MAX_PIXELS = 120_000_000
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


def _open(path):
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise ImageError(f"cannot read file: {exc.strerror or exc}") from exc
    if size == 0:
        raise ImageError("empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            # Pillow warns above its own 89.5 MP; GeoPin's max_pixels (120 MP by
            # default) is checked by the callers, so the documented limit is the one applied
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except UnidentifiedImageError as exc:
        raise ImageError("not an image (unknown or unsupported format)") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"image too large (decompression bomb guard): {exc}") from exc
    except OSError as exc:
        raise ImageError(f"cannot open image: {exc}") from exc


def image_size(path):
    """(width, height) from the header, without decoding (after EXIF rotation)."""
    with _open(path) as im:
        w, h = im.size
        try:
            orientation = im.getexif().get(0x0112, 1)
        except Exception:  # broken EXIF: size as stored
            orientation = 1
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _to_rgb_uint8(im):
    mode = im.mode
    if mode == "RGB":
        return np.asarray(im, dtype=np.uint8)
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(im).astype(np.float64)
        hi = 65535.0 if mode.startswith("I;16") or arr.max() > 255 else 255.0
        arr = np.clip(arr / hi * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(arr[:, :, None], 3, axis=2)
    if mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        lo, hi = np.nanmin(arr), np.nanmax(arr)
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        arr = np.clip((arr - lo) * scale + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(arr[:, :, None], 3, axis=2)
    if mode in ("RGBA", "LA", "P", "PA"):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(bg, im).convert("RGB"), dtype=np.uint8)
    # CMYK (JPEG from print workflows), YCbCr, L, 1, LAB, HSV: Pillow converts.
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _load_with_opencv(path, max_pixels):
    """Fallback for what Pillow cannot decode (e.g. 16-bit RGB TIFF)."""
    import cv2

    arr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    if arr is None:
        return None
    if arr.shape[0] * arr.shape[1] > max_pixels:
        raise ImageError(f"image has {arr.shape[1]}x{arr.shape[0]} pixels, above the limit of {max_pixels}")
    if arr.dtype == np.uint16:
        arr = (arr.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    elif arr.dtype != np.uint8:
        a = arr.astype(np.float64)
        a = (a - a.min()) / max(a.max() - a.min(), 1e-12) * 255.0
        arr = a.astype(np.uint8)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    elif arr.shape[2] == 4:
        arr = cv2.cvtColor(arr, cv2.COLOR_BGRA2RGB)
    else:
        arr = cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(arr)


def load_image(path, max_pixels=DEFAULT_MAX_PIXELS, min_width=None):
    """Decode `path` to an RGB uint8 array (H, W, 3), EXIF orientation applied.
    ``min_width``: a JPEG may be decoded at 1/2, 1/4 or 1/8 size (the DCT's own
    scaling, several times faster) while at least this wide: for pictures shown,
    never for what is embedded or matched.

    Raises ImageError with a readable reason: empty, not an image, truncated,
    above `max_pixels`, or undecodable. CMYK, 16-bit, grey, palette and alpha
    images are converted."""
    im = _open(path)
    with im:
        w, h = im.size
        if w * h > max_pixels:
            raise ImageError(f"image has {w}x{h} pixels, above the limit of {max_pixels} (decompression bomb guard)")
        if min_width and im.format == "JPEG" and w >= 2 * min_width:
            im.draft("RGB", (int(min_width), max(1, int(h * min_width / w))))
        try:
            im.load()
        except OSError as exc:
            msg = str(exc)
            if "truncated" in msg.lower():
                raise ImageError(f"truncated or corrupt image data: {msg}") from exc
            arr = _load_with_opencv(path, max_pixels)
            if arr is None:
                raise ImageError(f"cannot decode image: {msg}") from exc
            return arr
        except (ValueError, SyntaxError) as exc:
            raise ImageError(f"cannot decode image: {exc}") from exc
        try:
            # only when something turns: exif_transpose copies every pixel otherwise
            # (76 ms of the ~550 ms an 8000x4000 panorama takes to load)
            if im.getexif().get(0x0112) in (2, 3, 4, 5, 6, 7, 8):
                im = ImageOps.exif_transpose(im)
        except Exception:  # broken orientation tag: use the pixels as stored
            pass
        try:
            return np.ascontiguousarray(_to_rgb_uint8(im))
        except (ValueError, OSError) as exc:
            arr = _load_with_opencv(path, max_pixels)
            if arr is None:
                raise ImageError(f"unsupported pixel format {im.mode}: {exc}") from exc
            return arr


# --- EXIF ---------------------------------------------------------------------------

_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769


def _rational(v):
    try:
        if isinstance(v, tuple) and len(v) == 2:
            return float(v[0]) / float(v[1]) if float(v[1]) else float("nan")
        return float(v)
    except (TypeError, ValueError, ZeroDivisionError):
        return float("nan")


def _dms(value):
    try:
        parts = [_rational(p) for p in value]
    except TypeError:
        return _rational(value)
    if len(parts) != 3:
        return float("nan")
    return parts[0] + parts[1] / 60.0 + parts[2] / 3600.0


def _exif_time(text):
    if not text:
        return None
    text = str(text).strip().rstrip("\x00")
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M"):
        try:
            return _dt.datetime.strptime(text, fmt).isoformat()
        except ValueError:
            continue
    return None


def read_exif(path) -> dict:
    """EXIF position and pose: {lat, lon, altitude, heading, capture_time,
    gps_error}. Missing or invalid values are None; gps_error says why the
    position is unusable (no GPS, 0,0, NaN, out of range...)."""
    out = {"lat": None, "lon": None, "altitude": None, "heading": None, "capture_time": None, "gps_error": None,
           "focal_35mm": None}
    try:
        im = _open(path)
    except ImageError as exc:
        out["gps_error"] = exc.reason
        return out
    with im:
        try:
            exif = im.getexif()
        except Exception as exc:
            out["gps_error"] = f"unreadable EXIF: {exc}"
            return out
        try:
            sub = exif.get_ifd(_EXIF_IFD)
        except Exception:
            sub = {}
        out["capture_time"] = _exif_time(sub.get(36867) or sub.get(36868) or exif.get(306))
        try:  # FocalLengthIn35mmFilm: the query camera's field of view (engine/estimate/relative_pose.py)
            f35 = float(sub.get(41989) or 0)
            out["focal_35mm"] = f35 if 1.0 < f35 < 10000.0 else None
        except (TypeError, ValueError):
            pass
        try:
            gps = exif.get_ifd(_GPS_IFD)
        except Exception as exc:
            out["gps_error"] = f"unreadable GPS EXIF: {exc}"
            return out
    if not gps or 2 not in gps or 4 not in gps:
        out["gps_error"] = "no GPS position in EXIF"
        return out
    lat = _dms(gps.get(2))
    lon = _dms(gps.get(4))
    if str(gps.get(1, "N")).strip().upper().startswith("S"):
        lat = -lat
    if str(gps.get(3, "E")).strip().upper().startswith("W"):
        lon = -lon
    reason = valid_wgs84(lat, lon)
    if reason:
        out["gps_error"] = f"invalid EXIF GPS: {reason}"
    else:
        out["lat"], out["lon"] = lat, lon
    if 6 in gps:
        alt = _rational(gps[6])
        if math.isfinite(alt):
            ref = gps.get(5, 0)
            ref = ref[0] if isinstance(ref, (bytes, bytearray)) and ref else ref
            out["altitude"] = -alt if ref in (1, b"\x01") else alt
    if 17 in gps:
        heading = _rational(gps[17])
        if math.isfinite(heading):
            out["heading"] = heading % 360.0
    return out


# --- XMP GPano (Photo Sphere metadata) ------------------------------------------------

_XMP_SCAN_BYTES = 1 << 20


def read_gpano(path) -> dict:
    """Photo Sphere XMP fields found in the first MB of the file (no XML parser:
    attributes or elements, e.g. GPano:ProjectionType="equirectangular")."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_XMP_SCAN_BYTES)
    except OSError:
        return {}
    if b"GPano" not in head:
        return {}
    text = head.decode("latin-1")
    out = {}
    for key in ("ProjectionType", "PoseHeadingDegrees", "FullPanoWidthPixels", "FullPanoHeightPixels",
                "CroppedAreaImageWidthPixels", "CroppedAreaImageHeightPixels"):
        m = re.search(rf'GPano:{key}\s*=\s*"([^"]*)"', text) or re.search(
            rf"<GPano:{key}>([^<]*)</GPano:{key}>", text)
        if m:
            out[key] = m.group(1).strip()
    return out


def gpano_heading(gpano: dict) -> Optional[float]:
    try:
        value = float(gpano["PoseHeadingDegrees"])
    except (KeyError, ValueError):
        return None
    return value % 360.0 if math.isfinite(value) else None
