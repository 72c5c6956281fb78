"""The built-in evaluation protocols, listed once: ``make eval``, scripts/evaluate.py,
the Processing algorithm "Evaluate geolocation accuracy" and the tests read this list.

Each entry names the module (in this package) and the function that builds it; the
module is imported only when the protocol is built, so listing the names stays light
(the Processing provider lists them when QGIS loads the plugin). The order is the
order the Processing algorithm has always offered (its enum indices are stored in
saved models): new protocols are appended.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import List, Optional

# name: (module, function, kind); kind "album": a sequence located together (album_run)
BUILTIN = {
    "amsterdam-lopo": ("protocols", "amsterdam_lopo", "photo"),
    "lund-loo": ("protocols", "lund_loo", "photo"),
    "panoramax": ("protocols", "panoramax", "photo"),
    "amsterdam-xcond": ("protocols", "amsterdam_xcond", "photo"),
    "lund-album": ("album_protocols", "lund_album", "album"),
    "panoramax-album": ("album_protocols", "panoramax_album", "album"),
    "amsterdam-walk": ("album_protocols", "amsterdam_walk", "album"),
    "amsterdam-overlay": ("overlay_protocols", "amsterdam_overlay", "photo"),
    "lund-stamp": ("overlay_protocols", "lund_stamp", "photo"),
    "dashcam": ("overlay_protocols", "dashcam", "photo"),
    "panoramax-2048": ("overlay_protocols", "panoramax_2048", "photo"),
}


def photo_protocols() -> List[str]:
    """Protocols of single photos (the album ones are located as sequences)."""
    return [name for name, (_, _, kind) in BUILTIN.items() if kind == "photo"]


def builtin_protocol(name: str, root: Optional[Path] = None):
    """The built-in protocol ``name`` (a Protocol) on the shared datasets (``root``: their folder)."""
    try:
        module, function, _ = BUILTIN[name]
    except KeyError:
        raise ValueError(f"unknown protocol {name!r}; built-in: {', '.join(BUILTIN)}") from None
    return getattr(importlib.import_module(f"{__package__}.{module}"), function)(root)
