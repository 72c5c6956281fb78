"""The built-in evaluation protocols, listed once: ``make eval``, scripts/evaluate.py,
the Processing algorithm "Evaluate geolocation accuracy" and the tests read this list.

The order is the order the Processing algorithm has always offered (its enum indices
are stored in saved models): new protocols are appended.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Optional

from .album_protocols import ALBUM_PROTOCOLS
from .overlay_protocols import OVERLAY_PROTOCOLS
from .protocols import Protocol, amsterdam_lopo, amsterdam_xcond, lund_loo, panoramax

BUILTIN: Dict[str, Callable[[Optional[Path]], Protocol]] = {
    "amsterdam-lopo": amsterdam_lopo,
    "lund-loo": lund_loo,
    "panoramax": panoramax,
    "amsterdam-xcond": amsterdam_xcond,
    **ALBUM_PROTOCOLS,
    **OVERLAY_PROTOCOLS,
}


def photo_protocols() -> List[str]:
    """Protocols of single photos (the album ones are located as sequences)."""
    return [name for name in BUILTIN if name not in ALBUM_PROTOCOLS]


def builtin_protocol(name: str, root: Optional[Path] = None) -> Protocol:
    try:
        factory = BUILTIN[name]
    except KeyError:
        raise ValueError(f"unknown protocol {name!r}; built-in: {', '.join(BUILTIN)}") from None
    return factory(root)
