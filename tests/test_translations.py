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


# Words that give English away in a Dutch text (none is Dutch). Technical names (GeoPin,
# PDOK, EXIF, TOP_K...) and placeholders are not words of either language.
ENGLISH = {"the", "and", "with", "from", "not", "no", "match", "matches", "inliers", "inlier", "photo", "photos",
           "could", "cannot", "located", "verified", "candidates", "confidence", "reference", "similarity",
           "skipped", "failed", "estimate", "estimates", "footprints", "unreadable", "this", "that", "which",
           "missing", "error", "found", "view", "views", "matchviewer"}


def dutch_text(text):
    """The words of a translation, without HTML tags, `code`, {placeholders}, parameter,
    table and 'field' names."""
    import re

    text = re.sub(r"<[^>]+>|`[^`]*`|\{[^}]*\}|'[A-Za-z_]+'|\b[A-Z_]{2,}\b|\b\w+_\w+\b", " ", text)
    return re.findall(r"[A-Za-z]+", text)


def test_no_english_left_in_dutch():
    """Every tr() string (dock, legends, Processing help, log messages and errors): its Dutch
    has no English words; "overeenkomst" is a match, "gelijkenis" a similarity."""
    ut = load_script()
    strings = ut.collect()
    messages = ut.read_ts()
    english = {}
    for source in strings:
        dutch = messages.get(source, ("", None))[0]
        words = sorted({w for w in dutch_text(dutch) if w.lower() in ENGLISH})
        if words:
            english[source] = words
    assert english == {}, english
    similar = [s for s in strings if "similarity" in s.lower() and "gelijkenis" not in messages[s][0]]
    assert similar == [], similar
    geen_match = [s for s in strings if "geen match" in messages[s][0].lower()]
    assert geen_match == [], geen_match
