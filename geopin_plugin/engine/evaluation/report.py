"""The evaluation report: summary tables (HTML and Markdown), matplotlib plots
(error CDF, reliability diagram) and a failure gallery (query, the reference
GeoPin chose, a correct reference), written to ``<run dir>/report.html``.

matplotlib is used through its object API with the Agg canvas only (no pyplot,
no GUI backend), so it is safe inside QGIS.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from .results import (DISTANCE_THRESHOLDS_M, RECALL_AT, QueryResult, expected_calibration_error, per_kind,
                      reliability, summarize, write_results_csv)
from .protocols import Item, Protocol, item_digest

SUMMARY_COLUMNS = (
    [("positives", "pos"), ("negatives", "neg")]
    + [(f"within_{t:g}m", f"≤{t:g} m" if t < 1000 else f"≤{t / 1000:g} km") for t in DISTANCE_THRESHOLDS_M]
    + [("median_error_m", "median m")]
    + [(f"R@{n}_retrieval", f"R@{n} ret") for n in RECALL_AT]
    + [(f"R@{n}_verified", f"R@{n} ver") for n in RECALL_AT]
    + [("confident_precision", "conf. prec."), ("coverage", "coverage"), ("negatives_confident", "neg. conf."),
       ("t_median_s", "s/query")]
)


@dataclass
class Run:
    protocol: Protocol
    config_name: str
    results: List[QueryResult]
    # what it ran with in full (ProtocolRunner.settings(): the PipelineConfig with its
    # identity, the verifier's VerifyConfig); None: not known
    settings: Optional[dict] = None

    @property
    def summary(self) -> dict:
        return summarize(self.results)


def _cell(v, key="") -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        if math.isinf(v):
            return "∞"
        if key in ("t_median_s", "p"):  # seconds, probabilities
            return f"{v:.2f}"
        return f"{v:.1f}"
    return str(v)


def markdown_table(rows: Sequence[dict], first: Sequence[tuple] = (("protocol", "protocol"), ("preset", "preset"))) -> str:
    """rows: summaries plus the ``first`` columns; one Markdown table."""
    cols = list(first) + SUMMARY_COLUMNS
    out = ["| " + " | ".join(c[1] for c in cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in rows:
        out.append("| " + " | ".join(_cell(r.get(k), k) for k, _ in cols) + " |")
    return "\n".join(out)


def _html_table(rows: Sequence[dict], first) -> str:
    cols = list(first) + SUMMARY_COLUMNS
    head = "".join(f"<th>{html.escape(c[1])}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(r.get(k), k))}</td>" for k, _ in cols) + "</tr>"
                   for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def flat_settings(settings: dict, prefix: str = "") -> List[tuple]:
    """(dotted name, value) for every setting, nested dicts flattened, in order."""
    out = []
    for k, v in settings.items():
        if isinstance(v, dict):
            out += flat_settings(v, f"{prefix}{k}.")
        else:
            out.append((f"{prefix}{k}", v))
    return out


def settings_table(settings: dict) -> str:
    rows = "".join(f"<tr><td style='text-align:left'>{html.escape(k)}</td><td style='text-align:left'>"
                   f"{html.escape(repr(v))}</td></tr>" for k, v in flat_settings(settings))
    return f"<table><tr><th>setting</th><th>value</th></tr>{rows}</table>"


# --- plots -------------------------------------------------------------------------------------

def _figure(w=6.0, h=4.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def plot_error_cdf(runs: Sequence[Run], path: Path) -> Path:
    fig = _figure()
    ax = fig.add_subplot(111)
    for run in runs:
        errs = np.sort([r.error_m if r.error_m is not None else np.inf for r in run.results if r.positive])
        if not len(errs):
            continue
        y = np.arange(1, len(errs) + 1) / len(errs) * 100.0
        finite = np.isfinite(errs)
        ax.step(np.maximum(errs[finite], 0.5), y[finite], where="post",
                label=f"{run.protocol.name} · {run.config_name}"[:70])
    for t in DISTANCE_THRESHOLDS_M:
        ax.axvline(t, color="0.85", lw=0.8, zorder=0)
    ax.set_xscale("log")
    ax.set_xlim(0.5, 1e6)
    ax.set_ylim(0, 100)
    return _finish(fig, ax, "geodesic error (m)", "% of positives within",
                   "Error CDF (positives; unanswered never reach 100 %)", "lower right", path)


def plot_reliability(runs: Sequence[Run], path: Path) -> Path:
    fig = _figure()
    ax = fig.add_subplot(111)
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1, label="perfect calibration")
    for run in runs:
        rel = [b for b in reliability(run.results) if b["n"]]
        if not rel:
            continue
        ax.plot([b["mean_confidence"] for b in rel], [b["accuracy"] for b in rel], marker="o",
                label=f"{run.protocol.name} · {run.config_name}"[:70])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return _finish(fig, ax, "confidence", "share within 50 m (negatives count as wrong)", "Reliability diagram",
                   "upper left", path)


def _finish(fig, ax, xlabel: str, ylabel: str, title: str, legend_at: str, path: Path) -> Path:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=6, loc=legend_at)
    fig.tight_layout()
    fig.savefig(str(path))
    return path


# --- failure gallery ----------------------------------------------------------------------------

def failures(results: Sequence[QueryResult], limit: int = 24) -> List[QueryResult]:
    """The worst answers first: confident wrong answers (negatives included), then
    positives answered farthest off. Deterministic order."""
    bad = []
    for r in results:
        if r.confident and not (r.positive and r.correct):
            bad.append((0, -(r.error_m or 0.0), r.key, r))
        elif r.positive and not r.correct:
            err = r.error_m if r.error_m is not None else float("inf")
            bad.append((1, -err, r.key, r))
    bad.sort(key=lambda t: (t[0], t[1], t[2]))
    return [t[3] for t in bad[:limit]]


def _thumb(item: Optional[Item], folder: Path, width: int = 320) -> str:
    """Write a JPEG thumbnail of an item; returns its file name ('' if none)."""
    if item is None:
        return ""
    import cv2

    from .items import load_item_image

    name = f"{item_digest(item.key)}.jpg"
    out = folder / name
    if not out.exists():
        folder.mkdir(parents=True, exist_ok=True)
        rgb = load_item_image(item)
        h, w = rgb.shape[:2]
        small = cv2.resize(rgb, (width, max(1, int(round(h * width / w)))), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(out), cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return name


def gallery_html(run: Run, run_dir: Path, limit: int = 24) -> str:
    items: Dict[str, Item] = {r.key: r for r in run.protocol.references}
    items.update({q.item.key: q.item for q in run.protocol.queries})
    rows = []
    thumbs = run_dir / "thumbs"
    for r in failures(run.results, limit):
        cells = []
        for key, caption in ((r.key, "query"), (r.answer_ref or r.top_ref, "chosen"), (r.correct_ref, "correct")):
            it = items.get(key) if key else None
            name = _thumb(it, thumbs) if it is not None else ""
            img = f'<img src="thumbs/{name}">' if name else "<div class='none'>none</div>"
            cells.append(f"<td>{img}<br><small>{caption}: {html.escape(it.label if it else '–')}</small></td>")
        err = "–" if r.error_m is None else f"{r.error_m:.0f} m"
        facts = (f"{'positive' if r.positive else 'negative'} · {html.escape(r.kind)} · error {err} · "
                 f"{html.escape(r.label)} {r.confidence:.2f} · rank ret {r.rank_retrieval or '–'} / "
                 f"ver {r.rank_verified or '–'} · inliers {r.top_inliers}, spread {r.top_spread:.2f}")
        rows.append(f"<tr><td colspan=3 class='facts'>{facts}</td></tr><tr>{''.join(cells)}</tr>")
    if not rows:
        return "<p>No failures.</p>"
    return "<table class='gallery'>" + "".join(rows) + "</table>"


CSS = """body{font-family:sans-serif;margin:1.5em;max-width:1200px}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px;text-align:right}th{background:#eee}
.gallery td{text-align:center;vertical-align:top}.gallery img{width:300px}.facts{text-align:left!important;
background:#f6f6f6}.none{width:300px;height:60px;color:#999}code{background:#f3f3f3}"""


def write_report(run_dir: Path, runs: Sequence[Run], command: str = "", gallery_limit: int = 24) -> Path:
    """report.html + per-run CSV tables + plots in ``run_dir``; returns the HTML path."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    parts = [f"<html><head><meta charset='utf-8'><title>GeoPin evaluation</title><style>{CSS}</style></head><body>",
             "<h1>GeoPin evaluation</h1>"]
    if command:
        parts.append(f"<p>Command: <code>{html.escape(command)}</code></p>")
    rows = []
    for run in runs:
        s = dict(run.summary, protocol=run.protocol.name, preset=run.config_name)
        rows.append(s)
    parts.append("<h2>Summary</h2>" + _html_table(rows, (("protocol", "protocol"), ("preset", "preset"))))
    parts.append("<p>Accuracy and recall over positives (places the references cover); a correct reference "
                 "lies within the protocol's radius of the truth; confidence precision: confident answers within "
                 "50 m / all confident answers; coverage: positives answered confidently within 50 m; neg. conf.: "
                 "share of negatives called confident.</p>")
    (run_dir / "summary.md").write_text(markdown_table(rows) + "\n", encoding="utf-8")
    parts.append("<h2>Plots</h2>")
    plot_error_cdf(runs, run_dir / "error_cdf.png")
    plot_reliability(runs, run_dir / "reliability.png")
    parts.append("<img src='error_cdf.png'> <img src='reliability.png'>")
    for i, run in enumerate(runs):
        slug = f"{i:02d}-{run.protocol.name}"
        csv_path = write_results_csv(run.results, run_dir / f"{slug}.csv")
        parts.append(f"<h2>{html.escape(run.protocol.name)} · {html.escape(run.config_name)}</h2>")
        parts.append(f"<p>{html.escape(run.protocol.description)}. Per-query table: "
                     f"<a href='{csv_path.name}'>{csv_path.name}</a>.</p>")
        for note in run.protocol.notes:
            parts.append(f"<p><small>{html.escape(note)}</small></p>")
        if run.settings:
            parts.append("<h3>Settings</h3>" + settings_table(run.settings))
        kinds = [dict(s, kind=k) for k, s in per_kind(run.results).items()]
        parts.append("<h3>By query kind</h3>" + _html_table(kinds, (("kind", "kind"),)))
        ece = expected_calibration_error(run.results)
        rel = reliability(run.results)
        parts.append("<h3>Reliability</h3><table><tr><th>confidence</th><th>n</th><th>mean conf.</th>"
                     "<th>within 50 m</th></tr>" + "".join(
                         f"<tr><td>{b['lo']:.1f}–{b['hi']:.1f}</td><td>{b['n']}</td>"
                         f"<td>{_cell(b['mean_confidence'], 'p')}</td><td>{_cell(b['accuracy'], 'p')}</td></tr>"
                         for b in rel) + "</table>"
                     + f"<p>Expected calibration error: {_cell(ece, 'p')}</p>")
        parts.append("<h3>Failure gallery</h3>" + gallery_html(run, run_dir, gallery_limit))
    parts.append("</body></html>")
    path = run_dir / "report.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
