"""The engine must stay importable without QGIS and without torch."""
import subprocess
import sys
import textwrap

from pathlib import Path

PLUGINS_DIR = Path(__file__).resolve().parents[2] / "build" / "plugins"


def test_engine_imports_no_qgis_and_no_torch():
    code = textwrap.dedent(
        f"""
        import sys, pkgutil, importlib
        sys.path.insert(0, {str(PLUGINS_DIR)!r})
        import geopin.geopin_plugin.engine as engine
        for mod in pkgutil.walk_packages(engine.__path__, engine.__name__ + "."):
            importlib.import_module(mod.name)
        bad = sorted(m for m in sys.modules if m.split(".")[0] in ("qgis", "torch", "PyQt5"))
        print(bad)
        assert not bad, bad
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert result.returncode == 0, result.stdout + result.stderr
