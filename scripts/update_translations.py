#!/usr/bin/env python3
"""Collect every translatable string of the plugin into i18n/geopin_nl.ts.

Scans geopin_plugin/ and processing/ for string literals passed to tr(...),
self.tr(...) and QCoreApplication.translate("GeoPin", ...) (context "GeoPin", see
geopin_plugin/i18n.py), keeps the Dutch translations already in the .ts, adds new
strings as unfinished, and marks strings no longer used as vanished (lrelease skips
both). Messages are sorted by source text so parallel edits merge cleanly.

    python3 scripts/update_translations.py           # update i18n/geopin_nl.ts
    python3 scripts/update_translations.py --check   # exit 1 if a string lacks Dutch
    python3 scripts/update_translations.py --prune   # also drop vanished strings
Then `make translations` compiles the .qm files with lrelease.
"""
import argparse
import ast
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ("geopin_plugin", "processing")
CONTEXT = "GeoPin"
TS_FILE = REPO / "i18n" / "geopin_nl.ts"
SOURCE_LABELS_DIR = "geopin_plugin/engine/sources/"


def _literal(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def strings_in_source(text, filename="<source>"):
    """[(string, line)] for tr("..."), x.tr("...") and translate("GeoPin", "...")."""
    found = []
    for node in ast.walk(ast.parse(text, filename)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name == "tr":
            value = _literal(node.args[0])
        elif name == "translate" and len(node.args) >= 2 and _literal(node.args[0]) == CONTEXT:
            value = _literal(node.args[1])
        else:
            continue
        if value:
            found.append((value, node.lineno))
    return sorted(found, key=lambda item: item[1])


def source_labels(text, filename="<source>"):
    """[(label, line)] for the imagery sources' ``label = "..."`` class attributes: the
    Processing SOURCE enum shows them through tr(source.label)."""
    found = []
    for node in ast.walk(ast.parse(text, filename)):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.Assign) and any(getattr(t, "id", None) == "label" for t in item.targets):
                    value = _literal(item.value)
                    if value:
                        found.append((value, item.lineno))
    return found


def collect(repo=REPO):
    """{string: ["path:line", ...]} over all plugin Python files."""
    strings = {}
    for folder in SOURCE_DIRS:
        for path in sorted((repo / folder).rglob("*.py")):
            rel = path.relative_to(repo).as_posix()
            text = path.read_text(encoding="utf-8")
            found = strings_in_source(text, rel)
            if rel.startswith(SOURCE_LABELS_DIR):
                found += source_labels(text, rel)
            for value, line in found:
                strings.setdefault(value, []).append(f"{rel}:{line}")
    return strings


def read_ts(path=TS_FILE):
    """{source: (translation, type attribute or None)} for context GeoPin."""
    messages = {}
    if not Path(path).exists():
        return messages
    root = ET.parse(path).getroot()
    for context in root.iter("context"):
        if context.findtext("name") != CONTEXT:
            continue
        for message in context.iter("message"):
            source = message.findtext("source") or ""
            translation = message.find("translation")
            text = translation.text if translation is not None and translation.text else ""
            kind = translation.get("type") if translation is not None else None
            messages[source] = (text, kind)
    return messages


def untranslated(strings, messages):
    return sorted(s for s in strings if not messages.get(s, ("", None))[0].strip()
                  or messages[s][1] in ("vanished", "obsolete"))


def write_ts(strings, messages, path=TS_FILE, prune=False):
    root = ET.Element("TS", version="2.1", language="nl_NL")
    context = ET.SubElement(root, "context")
    ET.SubElement(context, "name").text = CONTEXT
    sources = set(strings) | (set() if prune else set(messages))
    for source in sorted(sources):
        text, kind = messages.get(source, ("", None))
        message = ET.SubElement(context, "message")
        ET.SubElement(message, "source").text = source
        translation = ET.SubElement(message, "translation")
        translation.text = text
        if source not in strings:
            translation.set("type", "vanished")
        elif not text.strip():
            translation.set("type", "unfinished")
        elif kind == "unfinished":
            translation.set("type", "unfinished")  # a translator's draft stays a draft
    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    Path(path).write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n", encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report strings without Dutch; exit 1 if any")
    parser.add_argument("--prune", action="store_true", help="drop strings no longer used in the code")
    parser.add_argument("--ts", type=Path, default=TS_FILE)
    args = parser.parse_args(argv)

    strings = collect()
    messages = read_ts(args.ts)
    missing = untranslated(strings, messages)
    if not args.check:
        write_ts(strings, messages, args.ts, prune=args.prune)
        print(f"{args.ts}: {len(strings)} strings, {len(strings) - len(missing)} translated")
    for source in missing:
        print(f"untranslated: {source!r} ({', '.join(strings[source])})")
    return 1 if args.check and missing else 0


if __name__ == "__main__":
    sys.exit(main())
