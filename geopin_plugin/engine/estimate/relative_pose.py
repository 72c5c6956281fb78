"""Where the query camera stood and looked, relative to one verified reference.

From the verifier's inlier matches (``Verification.matches``: [xq, yq, xr, yr] in
the pixel frames of the extracted images) and both cameras' intrinsics:

1. rays r = K^-1 [x, y, 1] (reference: exact pinhole of the panorama view, its
   principal point shifted down as the ingest cut it; query: EXIF focal length or
   a field-of-view hypothesis, principal point centred);
2. essential matrix with OpenCV's USAC_MAGSAC on the rays, then ``recoverPose``:
   X_query = R X_ref + t (t a unit vector: no scale);
3. degeneracy: the best *pure rotation* (Kabsch on the inlier rays) is fitted too;
   its median residual is the pair's parallax. A pure rotation (two views of one
   panorama), a tiny baseline or a far scene leave it near the noise level and the
   translation direction is then meaningless: such a pair gives a heading (from the
   rotation) but no bearing. A planar scene (homography explains nearly all the
   essential-matrix inliers) gets a wider bearing uncertainty.

Frames: camera x right, y down, z forward; a reference view's heading is the compass
heading (clockwise from north) of its optical axis, its pitch 0 (panorama views are
level), so a ground-plane direction (x, z) in its frame has heading
``heading + atan2(x, z)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from ..panorama import DEFAULT_MIN_ELEVATION_DEG, VIEW_SIZE

MIN_POSE_INLIERS = 15  # essential-matrix inliers below this: no pose
RANSAC_PX = 1.5  # MAGSAC threshold in pixels of the reference frame
# Parallax (median residual of the best pure rotation) below this: the translation
# is not observable. Measured: two views of one panorama 0.05-0.2 deg; partner
# panoramas 20-45 m apart several degrees (docs/geolocation.md).
MIN_PARALLAX_DEG = 1.0
PLANAR_SHARE = 0.95  # homography inliers / essential inliers above this: planar scene
# Query fields of view tried when the photo carries no focal length (degrees)
FOV_HYPOTHESES = (50.0, 65.0, 80.0, 95.0)
DIAGONAL_35MM = math.hypot(36.0, 24.0)  # the 35 mm film diagonal (43.27 mm)


@dataclass
class Intrinsics:
    f: float  # focal length in pixels
    cx: float
    cy: float

    @property
    def K(self) -> np.ndarray:
        return np.array([[self.f, 0.0, self.cx], [0.0, self.f, self.cy], [0.0, 0.0, 1.0]])

    def scaled(self, s: float) -> "Intrinsics":
        """The same camera in an image resized by s (pixel centres kept)."""
        return Intrinsics(self.f * s, (self.cx + 0.5) * s - 0.5, (self.cy + 0.5) * s - 0.5)


def centred_intrinsics(size: Tuple[int, int], hfov_deg: float) -> Intrinsics:
    """A pinhole with horizontal field of view ``hfov_deg`` over an image (w, h)."""
    w, h = float(size[0]), float(size[1])
    return Intrinsics((w / 2.0) / math.tan(math.radians(hfov_deg) / 2.0), (w - 1) / 2.0, (h - 1) / 2.0)


def view_intrinsics(fov_deg: float, feature_size: Tuple[int, int], view_size: Tuple[int, int] = VIEW_SIZE,
                    min_elevation_deg: Optional[float] = DEFAULT_MIN_ELEVATION_DEG) -> Intrinsics:
    """A panorama view's exact pinhole (panorama.perspective_view), in the frame its
    features were extracted in (``feature_size``: the view resized)."""
    k = centred_intrinsics(view_size, fov_deg)
    if min_elevation_deg is not None:
        bottom = k.f * math.tan(math.radians(-min_elevation_deg))
        k = Intrinsics(k.f, k.cx, max(k.cy, (view_size[1] - 1) - bottom))
    return k.scaled(float(feature_size[0]) / float(view_size[0]))


def hfov_from_35mm(focal_35mm: float, size: Tuple[int, int]) -> Optional[float]:
    """Horizontal FOV of a photo from EXIF FocalLengthIn35mmFilm (the equivalent
    focal length keeps the diagonal angle of a 36 x 24 mm frame)."""
    try:
        f35 = float(focal_35mm)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f35) or f35 <= 1.0:
        return None
    w, h = float(size[0]), float(size[1])
    width_mm = DIAGONAL_35MM * w / math.hypot(w, h)
    return math.degrees(2.0 * math.atan(width_mm / (2.0 * f35)))


@dataclass
class RelativePose:
    R: np.ndarray  # (3, 3) X_query = R X_ref + t
    t: np.ndarray  # (3,) unit
    inliers: int  # essential-matrix inliers
    parallax_deg: float  # median residual of the best pure rotation
    planar_share: float  # homography inliers / essential inliers
    yaw_deg: float  # the query's optical axis, clockwise from the reference's
    bearing_deg: Optional[float]  # reference -> query camera, clockwise from the reference's axis; None: degenerate
    bearing_sd_deg: float
    yaw_sd_deg: float
    degenerate: str = ""  # "", "rotation" (no parallax), "vertical" (the baseline is vertical)
    inlier_index: np.ndarray = None  # indices into the matches of the essential-matrix inliers (facades.py)

    @property
    def trusted(self) -> bool:
        return self.bearing_deg is not None


def rays(points: np.ndarray, k: Intrinsics) -> np.ndarray:
    """(N, 3) unit rays of pixel points."""
    p = np.asarray(points, np.float64)
    v = np.stack([(p[:, 0] - k.cx) / k.f, (p[:, 1] - k.cy) / k.f, np.ones(len(p))], axis=1)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def best_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The rotation R minimising sum |b - R a|^2 (Kabsch)."""
    u, _, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt))
    return u @ np.diag([1.0, 1.0, d]) @ vt


def _angles_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(np.sum(a * b, axis=1), -1.0, 1.0)))


def _yaw_of(v: np.ndarray) -> float:
    return math.degrees(math.atan2(float(v[0]), float(v[2])))


def relative_pose(matches: np.ndarray, k_query: Intrinsics, k_ref: Intrinsics,
                  ransac_px: float = RANSAC_PX, seed: int = 0) -> Optional[RelativePose]:
    """The query camera relative to the reference camera, or None when the matches
    hold no usable pose (too few, or the solver fails)."""
    import cv2

    m = np.asarray(matches, np.float64)
    if len(m) < MIN_POSE_INLIERS:
        return None
    rq, rr = rays(m[:, :2], k_query), rays(m[:, 2:4], k_ref)
    # normalised image coordinates (z = 1) for OpenCV
    nq, nr = rq[:, :2] / rq[:, 2:], rr[:, :2] / rr[:, 2:]
    # in the longer focal's units: a fixed threshold on the reference side alone would
    # favour narrow FOV hypotheses (their query residuals shrink in normalised units)
    thr = ransac_px / max(k_ref.f, k_query.f)
    cv2.setRNGSeed(seed)
    try:
        E, mask = cv2.findEssentialMat(nr, nq, np.eye(3), cv2.USAC_MAGSAC, 0.999, thr, 1000)
    except cv2.error:
        return None
    if E is None or mask is None or E.shape != (3, 3):
        return None
    inl = mask.ravel().astype(bool)
    if inl.sum() < MIN_POSE_INLIERS:
        return None
    try:
        n_good, R, t, pose_mask = cv2.recoverPose(E, nr[inl], nq[inl], np.eye(3))
    except cv2.error:
        return None
    if n_good < MIN_POSE_INLIERS:
        return None
    a, b = rr[inl], rq[inl]
    # parallax: what the best pure rotation cannot explain
    r0 = best_rotation(a, b)
    parallax = float(np.median(_angles_deg(b, a @ r0.T)))
    try:
        _, hmask = cv2.findHomography(nr[inl], nq[inl], cv2.USAC_MAGSAC, thr, maxIters=500, confidence=0.99)
        planar = float(hmask.sum()) / float(inl.sum()) if hmask is not None else 0.0
    except cv2.error:
        planar = 0.0
    t = t.ravel() / max(np.linalg.norm(t), 1e-12)
    n = int(inl.sum())
    degenerate = ""
    bearing = None
    noise_deg = math.degrees(ransac_px / k_ref.f)  # about one pixel's angle
    if parallax < MIN_PARALLAX_DEG:
        degenerate = "rotation"
        R = r0  # the rotation is then the rotation-only fit's
    centre = -R.T @ t  # the query camera in the reference frame (unit length)
    if not degenerate:
        if math.hypot(centre[0], centre[2]) < 0.5:  # mostly vertical: no ground bearing
            degenerate = "vertical"
        else:
            bearing = _yaw_of(centre)
    axis = R.T @ np.array([0.0, 0.0, 1.0])  # the query's optical axis in the reference frame
    # Uncertainty: the translation direction is pinned by parallax against noise (a
    # 1/(parallax sqrt n) law, floored by what the measured errors show; planar scenes
    # are twice as loose). Rotation: noise over the spread of the rays.
    bearing_sd = max(4.0, 60.0 * noise_deg / max(parallax, 1e-6) * math.sqrt(30.0 / n))
    if planar > PLANAR_SHARE:
        bearing_sd *= 2.0
    yaw_sd = max(1.0, 3.0 * noise_deg * math.sqrt(30.0 / n))
    return RelativePose(R=R, t=t, inliers=n, parallax_deg=parallax, planar_share=planar, yaw_deg=_yaw_of(axis),
                        bearing_deg=bearing, bearing_sd_deg=float(min(bearing_sd, 45.0)),
                        yaw_sd_deg=float(yaw_sd), degenerate=degenerate, inlier_index=np.flatnonzero(inl))
