"""PCA-whitening of global descriptors, learned on a database's own references.

whitened(x) = normalise((x - mean) @ projection), projection = U_d / sqrt(lambda_d +
shrinkage * mean(lambda)). The shrinkage keeps the tiny-variance directions of a
small reference set from being blown up (the ARCHITECTURE notes saw plain
whitening on a small set hurt). Optional per database; the evaluation compares
with and without.
"""
from dataclasses import dataclass

import numpy as np

DEFAULT_SHRINKAGE = 0.1
MAX_FIT_SAMPLES = 100_000  # larger sets are subsampled (seeded) to bound memory and time


@dataclass
class Whitening:
    mean: np.ndarray  # (dim,) float32
    projection: np.ndarray  # (dim, dim_out) float32
    n_fit: int  # how many embeddings it was learned on
    shrinkage: float = DEFAULT_SHRINKAGE

    @property
    def dim_in(self):
        return int(self.projection.shape[0])

    @property
    def dim_out(self):
        return int(self.projection.shape[1])

    def apply(self, x):
        x = np.asarray(x, dtype=np.float32)
        single = x.ndim == 1
        x = np.atleast_2d(x)
        if x.shape[1] != self.dim_in:
            raise ValueError(f"whitening expects {self.dim_in}-d vectors, got {x.shape[1]}")
        y = (x - self.mean) @ self.projection
        y /= np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-12)
        y = y.astype(np.float32)
        return y[0] if single else y


def fit(embeddings, dim_out=None, shrinkage=DEFAULT_SHRINKAGE, max_samples=MAX_FIT_SAMPLES):
    """Learn a whitening from (n, dim) embeddings; dim_out <= min(dim, n - 1).
    n_fit records n, the size of the set it was learned on (even when subsampled)."""
    embeddings = np.asarray(embeddings, dtype=np.float32)
    n_total = len(embeddings)
    if n_total > max_samples:
        rows = np.sort(np.random.default_rng(0).choice(n_total, size=max_samples, replace=False))
        embeddings = embeddings[rows]
    x = embeddings.astype(np.float64)
    n, dim = x.shape
    if n < 3:
        raise ValueError("whitening needs at least 3 embeddings")
    mean = x.mean(axis=0)
    xc = x - mean
    cov = xc.T @ xc / max(n - 1, 1)
    eigval, eigvec = np.linalg.eigh(cov)
    order = np.argsort(eigval)[::-1]
    eigval = np.clip(eigval[order], 0.0, None)
    eigvec = eigvec[:, order]
    keep = min(dim, n - 1) if dim_out is None else min(int(dim_out), dim, n - 1)
    eigval, eigvec = eigval[:keep], eigvec[:, :keep]
    reg = shrinkage * float(eigval.mean()) if eigval.size else 0.0
    projection = eigvec / np.sqrt(eigval + reg + 1e-12)
    return Whitening(mean=mean.astype(np.float32), projection=projection.astype(np.float32),
                     n_fit=int(n_total), shrinkage=float(shrinkage))
