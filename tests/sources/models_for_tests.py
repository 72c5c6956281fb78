"""The reference-database tests' deterministic stand-ins for the real models
(tests/engine/refdb_helpers.py), under the names the source tests use."""
import sys
from pathlib import Path

_ENGINE_TESTS = str(Path(__file__).resolve().parents[1] / "engine")
if _ENGINE_TESTS not in sys.path:  # pytest runs with --import-mode=importlib
    sys.path.append(_ENGINE_TESTS)

from refdb_helpers import OrbExtractor as TinyOrb  # noqa: E402,F401
from refdb_helpers import PixelEmbedder  # noqa: E402


def TinyEmbedder():  # noqa: N802 (used like the class it stands for)
    return PixelEmbedder(dim=32, preset_id="test-sources-pixels-v1", seed=7)
