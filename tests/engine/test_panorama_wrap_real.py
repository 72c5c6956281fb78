"""Issue 23: a 2:1 image is a 360° panorama when its left and right edges continue
each other, whatever its size (panorama.wrap_score); measured on shared images."""
import cv2
import numpy as np

from geopin.geopin_plugin.engine import panorama
from geopin.geopin_plugin.engine.images import load_image

PANO = "amsterdam-panoramas/TMX7316010203-000992_pano_0001_000323.jpg"


def test_a_downscaled_panorama_wraps_and_crops_do_not(datasets_dir):
    pano = load_image(str(datasets_dir / PANO))
    h, w = pano.shape[:2]
    for width in (2048, 1024):
        small = cv2.resize(pano, (width, width // 2), interpolation=cv2.INTER_AREA)
        assert panorama.is_equirectangular(width, width // 2, {}, small), width
        assert not panorama.is_equirectangular(width, width // 2)  # without the pixels: too small to trust
    window = np.ascontiguousarray(pano[h // 4:3 * h // 4, w // 4:3 * w // 4])  # 180 x 90 degrees, 2:1
    assert not panorama.is_equirectangular(window.shape[1], window.shape[0], {}, window)
    photo = load_image(str(datasets_dir / "lund" / "05.jpg"))  # 1024 x 768
    crop = np.ascontiguousarray(photo[128:640])  # 1024 x 512
    assert not panorama.is_equirectangular(1024, 512, {}, crop)
    # XMP still decides where it speaks
    assert panorama.is_equirectangular(1024, 512, {"ProjectionType": "equirectangular"}, crop)
