"""Which embedder answers for a database. The GeoPackage's `model_preset` is
data anyone can edit, never a file path: it selects only a catalogue preset
(checked against the models manifest by check_built) or confirms a user-chosen
ONNX file with a valid model card whose identity (user-<id>-<size>-<sha256>)
is the one the database was built with.
"""
from typing import Callable, Optional

from .models import PRESETS


class ModelChoiceError(ValueError):
    """The database's embedder cannot be resolved safely; str() says the fix."""


def resolve_embedder(db_model, chosen: Optional[str] = None, loader: Optional[Callable] = None):
    """The loaded embedder for a database built with `db_model`. `chosen`: what
    the user picked (a catalogue id or a path to an ONNX file), None for the
    database's own catalogue preset."""
    if loader is None:
        from .embed import load_embedder as loader
    if not isinstance(db_model, str) or not db_model:
        raise ModelChoiceError("the database does not say which embedder built it (meta model_preset missing)")
    known = ", ".join(sorted(p for p, v in PRESETS.items() if v.kind == "embedder"))
    if chosen:
        chosen = str(chosen)
        if chosen in PRESETS:
            if chosen != db_model:
                raise ModelChoiceError(f"the database was built with embedder {db_model!r}, not {chosen!r}: use the "
                                       "same model or rebuild the database")
            return loader(chosen)
        embedder = loader(chosen)  # a user file: its model card is validated on load
        if embedder.preset_id != db_model:
            raise ModelChoiceError(f"the database was built with embedder {db_model!r}, but {chosen} is "
                                   f"{embedder.preset_id!r}: choose the ONNX file the database was built with")
        return embedder
    preset = PRESETS.get(db_model)
    if preset is not None and preset.kind == "embedder":
        return loader(db_model)
    if db_model.startswith("user-"):
        raise ModelChoiceError(f"the database was built with the user-supplied embedder {db_model!r}: choose that "
                               "ONNX file (with its model card) as the embedder")
    raise ModelChoiceError(f"the database names an embedder {db_model[:200]!r} that is not in the catalogue "
                           f"({known}); a database cannot choose a model file: rebuild it with a catalogue model "
                           "or choose a user model file")
