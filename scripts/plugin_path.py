"""Make this checkout importable as the plugin package `geopin`, the way QGIS sees it:
build/plugins/geopin -> repo root on sys.path, and never the repo root itself (it would
shadow QGIS's own `processing`). Imported first by the scripts and benchmarks."""
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLUGINS = REPO / "build" / "plugins"

if not (PLUGINS / "geopin").exists():
    PLUGINS.mkdir(parents=True, exist_ok=True)
    (PLUGINS / "geopin").symlink_to(os.path.relpath(REPO, PLUGINS))
if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO]
