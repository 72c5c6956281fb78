"""The coordinates CSV of a build (file, lat, lon[, heading, capture_time, pano_id,
capture_group, ...]) read strictly: a malformed file is an error naming the line, and a row that
cannot be trusted (duplicate with other values, short row, text where a number
belongs, lat/lon swapped, a base name matching images in two folders) gives that
image an ingest error instead of a silent wrong position or an EXIF fallback.
"""
import csv
import math
import os
from typing import Dict, Iterable, Optional

from .. import geo

ERROR_KEY = "_error"  # a row dict carrying this key is refused with that reason
FAR_OUTSIDE_KM = 1000.0  # beyond this distance from the Netherlands a position is refused
_NUMERIC = ("lat", "lon", "heading")


def read_coordinates_csv(path) -> Dict[str, dict]:
    """Rows keyed by their `file` value (spaces stripped). Raises ValueError for
    a file that cannot be parsed (missing column, unterminated quote); rows that
    cannot be used carry ERROR_KEY with the reason."""
    name = os.path.basename(str(path))
    out: Dict[str, dict] = {}
    first_row: Dict[str, int] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh, strict=True)
        try:
            cols = {c.strip().lower(): c for c in (reader.fieldnames or [])}
            for need in ("file", "lat", "lon"):
                if need not in cols:
                    raise ValueError(f"coordinates file {path} has no '{need}' column (needs file, lat, lon)")
            n_cols = len(reader.fieldnames)
            for row in reader:
                line = reader.line_num
                rec = {k.strip().lower(): (v.strip() if isinstance(v, str) else v)
                       for k, v in row.items() if k is not None}
                key = rec.get("file") or ""
                if not key:
                    continue
                problem = _row_problem(row, rec, n_cols)
                if problem:
                    rec[ERROR_KEY] = f"line {line} of {name}: {problem}"
                if key in out:
                    if _same_values(out[key], rec):
                        continue
                    reason = (f"{name} lists {key} twice (lines {first_row[key]} and {line}) with different "
                              "values; keep one row")
                    out[key] = dict(out[key], **{ERROR_KEY: reason})
                    continue
                out[key] = rec
                first_row[key] = line
        except csv.Error as exc:
            raise ValueError(f"coordinates file {path} cannot be parsed near line {reader.line_num}: {exc} "
                             "(an unterminated quote?); fix the file") from None
        except UnicodeDecodeError:  # a binary file, or text in another encoding than UTF-8
            raise ValueError(f"coordinates file {path} is not UTF-8 text (near line {reader.line_num + 1}); "
                             "save it as a UTF-8 CSV with columns file, lat, lon") from None
    return out


def _row_problem(row, rec, n_cols) -> Optional[str]:
    if None in row:
        return f"{n_cols + len(row[None])} fields, the header has {n_cols}; fix the row"
    if any(v is None for v in row.values()):
        have = sum(v is not None for v in row.values())
        return f"only {have} of the header's {n_cols} fields; fix the row"
    for col in _NUMERIC:
        text = rec.get(col)
        if text in (None, ""):
            continue
        try:
            value = float(text)
        except ValueError:
            return f"{col} {text!r} is not a number"
        if not math.isfinite(value):
            return f"{col} {text!r} is NaN or infinite"
    if bool(rec.get("lat")) != bool(rec.get("lon")):
        return "lat and lon must both be given (or both left empty to use the EXIF position)"
    return None


def _same_values(a, b) -> bool:
    return {k: v for k, v in a.items() if k != ERROR_KEY} == {k: v for k, v in b.items() if k != ERROR_KEY}


def lookup(coords, path, input_dir, basename_counts) -> Optional[dict]:
    """The row for an image: by relative path, then base name, then full path. A
    base-name row is refused when several images share that name."""
    if not coords:
        return None
    rel = os.path.relpath(path, input_dir).replace(os.sep, "/")
    if rel in coords:
        return coords[rel]
    base = os.path.basename(path)
    if base in coords:
        if basename_counts.get(base, 0) > 1:
            return {ERROR_KEY: f"the coordinates file names {base} without a folder, but {basename_counts[base]} "
                               f"images are called so; write the path relative to the input folder (e.g. {rel})"}
        return coords[base]
    return coords.get(str(path))


def basename_counts(files: Iterable[str]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for f in files:
        b = os.path.basename(f)
        counts[b] = counts.get(b, 0) + 1
    return counts


def position_problem(lat, lon) -> Optional[str]:
    """Why a WGS84 position is refused (None when usable): invalid, lat/lon
    swapped, or so far from the Netherlands that RD New means nothing there.
    Positions near the Netherlands (Belgium, Lund, France) are kept and flagged."""
    reason = geo.valid_wgs84(lat, lon)
    if reason:
        return reason
    lat, lon = float(lat), float(lon)
    if geo.inside_netherlands(lat, lon):
        return None
    if geo.inside_netherlands(lon, lat):
        return f"lat and lon look swapped (lat {lat}, lon {lon} is outside the Netherlands; swapped it is inside)"
    b = geo.NL_BOUNDS
    near_lat, near_lon = min(max(lat, b[0]), b[2]), min(max(lon, b[1]), b[3])
    km = geo.geodesic_distance_m(lat, lon, near_lat, near_lon) / 1000.0
    if km > FAR_OUTSIDE_KM:
        return (f"position lat {lat}, lon {lon} lies {km:.0f} km outside the Netherlands; check the coordinates "
                "(sign, order, degrees)")
    return None
