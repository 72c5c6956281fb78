"""Image decoding (bit depths, EXIF orientation and GPS) and panorama views."""
import csv

import numpy as np
import pytest
from fixtures_refdb import bad_inputs

from geopin.geopin_plugin.engine import geo, images, panorama


def test_image_conversions(tmp_path):
    unusable, usable, _ = bad_inputs(tmp_path)
    src = images.load_image(tmp_path / "ok.jpg")
    assert src.dtype == np.uint8 and src.shape == (120, 160, 3)
    a16 = images.load_image(tmp_path / "rgb16.png").astype(int)
    a16t = images.load_image(tmp_path / "rgb16.tif").astype(int)
    assert np.abs(a16 - a16t).max() <= 1
    g = images.load_image(tmp_path / "grey16.png")
    assert g.shape == (120, 160, 3) and g[0, 0, 0] == 0 and g[-1, -1, 0] == 255
    with pytest.raises(images.ImageError, match="limit"):
        images.load_image(tmp_path / "ok.jpg", max_pixels=100)


def test_a_picture_to_show_decodes_at_a_jpeg_scale_that_stays_wide_enough(tmp_path):
    from PIL import Image

    rgb = np.random.default_rng(1).integers(0, 255, (600, 1200, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "a.jpg", quality=90)
    Image.fromarray(rgb).save(tmp_path / "a.png")
    assert images.load_image(tmp_path / "a.jpg").shape == (600, 1200, 3)
    assert images.load_image(tmp_path / "a.jpg", min_width=300).shape == (150, 300, 3)  # 1/4: still 300 wide
    assert images.load_image(tmp_path / "a.jpg", min_width=301).shape == (300, 600, 3)
    assert images.load_image(tmp_path / "a.jpg", min_width=700).shape == (600, 1200, 3)
    assert images.load_image(tmp_path / "a.png", min_width=300).shape == (600, 1200, 3)  # JPEG only


def test_exif_orientation_applied(tmp_path):
    from PIL import Image

    img = np.zeros((20, 40, 3), np.uint8)
    img[:, :20] = 255
    ex = Image.Exif()
    ex[0x0112] = 6  # rotate 90° clockwise to display
    Image.fromarray(img).save(tmp_path / "o.jpg", exif=ex)
    out = images.load_image(tmp_path / "o.jpg")
    assert out.shape == (40, 20, 3)
    assert out[:15].mean() > 200 and out[25:].mean() < 50
    assert images.image_size(tmp_path / "o.jpg") == (20, 40)


def test_panorama_geometry():
    pano = np.zeros((512, 1024, 3), np.uint8)
    pano[:, 512 - 8:512 + 8] = 255  # a vertical line at the centre column (heading 0)
    view = panorama.perspective_view(pano, 0.0, 90.0, size=(200, 150))
    assert view[:, 95:105].mean() > 200 and view[:, :80].mean() < 5
    behind = panorama.perspective_view(pano, 180.0, 90.0, size=(200, 150))
    assert behind.mean() < 5
    right = panorama.perspective_view(pano, 45.0, 90.0, size=(200, 150))
    assert right[:, :6].mean() > 100  # 45° to the right puts the centre at the left edge
    # the shifted window: lowest ray at min_elevation, horizon lower in the image
    pano2 = np.zeros((512, 1024, 3), np.uint8)
    pano2[int(512 * (0.5 + 25 / 180)):] = 255  # everything below -25° is white
    shifted = panorama.perspective_view(pano2, 0.0, 90.0, size=(200, 150), min_elevation_deg=-22.0)
    centred = panorama.perspective_view(pano2, 0.0, 90.0, size=(200, 150))
    assert shifted[-1].mean() < 5 and centred[-1].mean() > 200
    assert panorama.is_equirectangular(8000, 4000) and not panorama.is_equirectangular(1024, 512)
    assert panorama.is_equirectangular(1024, 512, {"ProjectionType": "equirectangular"})
    assert not panorama.is_equirectangular(128, 21, {"ProjectionType": "equirectangular",
                                                     "FullPanoWidthPixels": "15872", "FullPanoHeightPixels": "7936",
                                                     "CroppedAreaImageWidthPixels": "15872",
                                                     "CroppedAreaImageHeightPixels": "2606"})


def test_lund_exif_gps_for_all_29(datasets_dir):
    lund = datasets_dir / "lund"
    manifest = {r["file"]: r for r in csv.DictReader(open(lund / "manifest.csv"))}
    files = sorted(lund.glob("*.jpg"))
    assert len(files) == 29
    for f in files:
        exif = images.read_exif(f)
        assert exif["gps_error"] is None, f
        assert exif["lat"] == pytest.approx(float(manifest[f.name]["lat"]), abs=1e-6)
        assert exif["lon"] == pytest.approx(float(manifest[f.name]["lon"]), abs=1e-6)
        assert not geo.inside_netherlands(exif["lat"], exif["lon"])
