"""The confidence calibration: a logistic model over features of the posterior's
winning cluster, fitted on measured evaluation runs (evaluation/calibrate.py,
scripts/fit_calibration.py) and read from ``calibration.json`` beside this module;
labels confident / uncertain / no match come from thresholds in the same file."""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")  # the default verifier's (XFeat cascade)
# Inlier counts are on each verifier's own scale: databases verified with RootSIFT
# keep the calibration fitted on RootSIFT outcomes.
CALIBRATION_FILES = {"rootsift-2048": Path(__file__).with_name("calibration-rootsift.json")}


def calibration_file(extractor_id: Optional[str] = None) -> Path:
    """The calibration fitted for the verifier of an extractor's features."""
    return CALIBRATION_FILES.get(extractor_id or "", CALIBRATION_FILE)



class CalibrationError(Exception):
    pass


def feature_vector(features: Dict[str, float], names: Sequence[str]) -> np.ndarray:
    """Model inputs by name; ``log1p:<feature>`` takes log(1 + value)."""
    out = []
    for name in names:
        if name.startswith("log1p:"):
            out.append(math.log1p(max(0.0, float(features[name[6:]]))))
        else:
            out.append(float(features[name]))
    return np.array(out, dtype=float)


@dataclass
class Calibration:
    feature_names: List[str]
    coef: List[float]
    intercept: float
    confident_threshold: float
    uncertain_threshold: float
    source: dict = field(default_factory=dict)

    def confidence(self, features: Dict[str, float]) -> float:
        """P(within the target distance) from the logistic model, 0..1."""
        z = float(np.dot(self.coef, feature_vector(features, self.feature_names)) + self.intercept)
        return float(1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z)))))

    def label(self, confidence: float, n_verified: int) -> str:
        if n_verified <= 0 or confidence < self.uncertain_threshold:
            return "no match"
        if confidence >= self.confident_threshold:
            return "confident"
        return "uncertain"

    def to_dict(self) -> dict:
        return {
            "model": "logistic",
            "features": list(self.feature_names),
            "coef": [float(c) for c in self.coef],
            "intercept": float(self.intercept),
            "thresholds": {"confident": float(self.confident_threshold), "uncertain": float(self.uncertain_threshold)},
            **self.source,
        }


def load_calibration(path: Optional[os.PathLike] = None, extractor: Optional[str] = None) -> Calibration:
    """Read ``path`` (else the calibration of ``extractor``'s verifier); a missing or
    malformed file is a CalibrationError."""
    path = Path(path) if path else calibration_file(extractor)
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise CalibrationError(f"confidence calibration {path} is unreadable: {exc}") from exc
    try:
        if data.get("model") != "logistic":
            raise ValueError(f"unknown model {data.get('model')!r}")
        names = [str(n) for n in data["features"]]
        coef = [float(c) for c in data["coef"]]
        if len(names) != len(coef):
            raise ValueError("features and coef differ in length")
        th = data["thresholds"]
        cal = Calibration(names, coef, float(data["intercept"]), float(th["confident"]), float(th["uncertain"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CalibrationError(f"confidence calibration {path} is invalid: {exc}") from exc
    known = {"model", "features", "coef", "intercept", "thresholds"}
    cal.source = {k: v for k, v in data.items() if k not in known}
    return cal


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 100):
    """L2-regularised logistic regression by Newton's method (intercept not penalised).
    Returns (coef, intercept). Deterministic; numpy only."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = x.shape
    a = np.hstack([x, np.ones((n, 1))])
    w = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(a @ w, -60, 60)))
        grad = a.T @ (p - y) + reg * w
        h = (a * (p * (1 - p))[:, None]).T @ a + np.diag(reg) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(h, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return w[:-1], float(w[-1])
