"""Every user-visible string of the plugin has a Dutch translation in i18n/geopin_nl.ts
(run scripts/update_translations.py to collect new strings, then translate them)."""
import importlib.util
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_script():
    spec = importlib.util.spec_from_file_location("update_translations", REPO / "scripts" / "update_translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_extractor_finds_all_call_forms():
    ut = load_script()
    code = (
        'from x import tr\n'
        'a = tr("Plain")\n'
        'b = self.tr("Method {0}").format(1)\n'
        'c = QCoreApplication.translate("GeoPin", "Explicit " "joined")\n'
        'd = QCoreApplication.translate("Other", "Other context")\n'
        'e = tr(variable)\n'
    )
    assert [s for s, _ in ut.strings_in_source(code)] == ["Plain", "Method {0}", "Explicit joined"]


def test_every_tr_string_has_dutch():
    ut = load_script()
    strings = ut.collect()
    assert "Install dependencies…" in strings and len(strings) > 10
    messages = ut.read_ts()
    missing = ut.untranslated(strings, messages)
    assert missing == [], (
        f"{len(missing)} strings without Dutch in i18n/geopin_nl.ts (run scripts/update_translations.py "
        "and translate): " + "; ".join(f"{s!r} at {strings[s][0]}" for s in missing)
    )


def test_ts_compiles_with_lrelease(tmp_path):
    qm = tmp_path / "geopin_nl.qm"
    result = subprocess.run(["lrelease", str(REPO / "i18n" / "geopin_nl.ts"), "-qm", str(qm)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert qm.stat().st_size > 100
