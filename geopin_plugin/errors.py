"""Engine errors in the user's language. The engine is QGIS-free and speaks English
(what the log keeps); the dock and Processing show these sentences instead, by the
error's kind (PipelineError.reason, ImageError)."""
from .i18n import tr


def user_message(exc):
    """A sentence for the user about `exc` (a PipelineError, ImageError or other)."""
    from .engine.errors import ImageError

    if isinstance(exc, ImageError) or isinstance(exc, OSError):
        return tr("the photo cannot be read (not an image, or damaged)")
    texts = {
        "not_found": tr("the reference database does not exist"),
        "unusable": tr("this file is not a GeoPin reference database, or it is damaged"),
        "empty": tr("the reference database holds no reference views yet: build it first"),
        "models": tr("GeoPin's models are missing or damaged: install them again (Plugins ▸ GeoPin ▸ "
                     "Install dependencies…) or run `make models`"),
        "incompatible": tr("the reference database was built with another model: rebuild it with this "
                           "version of GeoPin"),
        "photo_size": tr("the photo is too small to recognise a place"),
    }
    reason = getattr(exc, "reason", "")
    if reason in texts:
        return texts[reason]
    return tr("unexpected error (details in the GeoPin log): {0}").format(type(exc).__name__)
