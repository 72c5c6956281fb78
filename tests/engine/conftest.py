"""tests/engine and its packages (store/, index/) share the helper modules of
this folder (fixtures_refdb, refdb_helpers, dummy_models): pytest runs with
--import-mode=importlib, so the folder is put on sys.path here."""
import sys
from pathlib import Path

TESTS_ENGINE = Path(__file__).resolve().parent
if str(TESTS_ENGINE) not in sys.path:
    sys.path.insert(0, str(TESTS_ENGINE))
