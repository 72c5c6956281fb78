"""Where things live outside the repo and the plugin folder."""
import os
from pathlib import Path


def user_data_dir() -> Path:
    """GeoPin's per-user data folder ($GEOPIN_DATA_DIR, else XDG data home)."""
    override = os.environ.get("GEOPIN_DATA_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "geopin"


def models_dir() -> Path:
    """Where `make models` writes ($GEOPIN_MODELS_DIR, else the user models folder).
    Reading looks in more places: models.model_dirs()."""
    override = os.environ.get("GEOPIN_MODELS_DIR")
    return Path(override) if override else user_models_dir()


def user_models_dir() -> Path:
    """Models the user installed (Plugins > GeoPin > Models...): <user data>/models."""
    return user_data_dir() / "models"


def plugin_models_dir() -> Path:
    """The runtime models shipped inside the plugin ZIP (geopin/models/, scripts/package.py)."""
    return Path(__file__).resolve().parents[2] / "models"


def datasets_dir() -> Path:
    """The shared real imagery: $GEOPIN_DATASETS, else ../shared/datasets beside the repo."""
    override = os.environ.get("GEOPIN_DATASETS")
    if override:
        return Path(override)
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "datasets"
