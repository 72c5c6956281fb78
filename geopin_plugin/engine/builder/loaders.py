"""Models for worker processes: a picklable, hashable recipe that loads the same
embedder and local-feature extractor again in another process (or on a Dask
worker), once per process, with one onnxruntime thread so N workers share N
cores instead of fighting over them.

``models_for(embedder, extractor)`` derives the recipe from models loaded in
this process (catalogue presets, a user ONNX embedder file); it returns None for
objects it cannot re-create (test doubles), and the build then runs serially.
Any other picklable zero-argument callable returning (embedder, extractor) may
stand in for a recipe (the tests use one).
"""
from dataclasses import dataclass
from typing import Optional

from ..models import PRESETS, get_preset

WORKER_THREADS = 1  # onnxruntime intra-op threads per worker process


@dataclass(frozen=True)
class CatalogueModels:
    embedder: str  # embedder preset id, or the path of a user ONNX file
    extractor: Optional[str] = None  # extractor preset id (None: no local features)
    embedder_directory: Optional[str] = None  # where the catalogue's ONNX files are
    extractor_directory: Optional[str] = None
    max_keypoints: Optional[int] = None
    threads: int = WORKER_THREADS

    def __call__(self):
        from ..embed import load_embedder
        from ..registry import load_extractor

        embedder = load_embedder(self.embedder, self.embedder_directory, threads=self.threads)
        if self.extractor is None:
            return embedder, None
        kwargs = {}
        if get_preset(self.extractor).onnx_file:  # RootSIFT has neither (OpenCV's threads are set per worker)
            kwargs = {"models_directory": self.extractor_directory, "threads": self.threads}
        if self.max_keypoints is not None:
            kwargs["max_keypoints"] = self.max_keypoints
        return embedder, load_extractor(self.extractor, **kwargs)


def models_for(embedder, extractor, threads=WORKER_THREADS) -> Optional[CatalogueModels]:
    """A recipe that loads models equal to `embedder` and `extractor` elsewhere, or None."""
    from ..embed import OnnxEmbedder
    from ..verification.disk import DiskExtractor
    from ..verification.rootsift import RootSiftExtractor
    from ..verification.xfeat import XFeatExtractor

    if type(embedder) is not OnnxEmbedder:
        return None
    if embedder.preset_id in PRESETS:
        emb, emb_dir = embedder.preset_id, str(embedder.path.parent)
    else:  # a user ONNX file: loading the file again gives the same preset id (card + file hash)
        emb, emb_dir = str(embedder.path), None
    if extractor is None:
        return CatalogueModels(emb, None, emb_dir, threads=threads)
    if type(extractor) not in (RootSiftExtractor, XFeatExtractor, DiskExtractor):
        return None
    preset_id = extractor.preset_id
    if extractor.long_side != max(get_preset(preset_id).input_size):
        return None
    path = getattr(extractor, "path", None)
    return CatalogueModels(emb, preset_id, emb_dir, str(path.parent) if path is not None else None,
                           getattr(extractor, "max_keypoints", None), threads)
