"""`make demo-pdok`: geopin:whatisinview on the `make demo` result, against fixture data.

Reads build/demo/geopin_demo.gpkg (layer "estimate") and build/demo/posterior.tif
written by `make demo`, starts the PDOK stand-in of tests/pdok_fixture.py on
127.0.0.1 with a synthetic neighbourhood ("Fixturedam") laid out around the
estimate, runs the Processing algorithm geopin:whatisinview through QGIS with the
service addresses pointed at it, writes build/demo/whatisinview.gpkg and prints the
top parcel, building and address with their probabilities. The parcels, houses and
addresses are synthetic (nothing is downloaded); the posterior is the real one.

    .venv/bin/python scripts/demo_pdok.py [--demo-dir build/demo]
"""
import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plugin_path import REPO  # noqa: E402

sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--demo-dir", default=str(REPO / "build" / "demo"))
    args = ap.parse_args(argv)
    demo = Path(args.demo_dir)
    gpkg, posterior = demo / "geopin_demo.gpkg", demo / "posterior.tif"
    if not gpkg.exists() or not posterior.exists():
        raise SystemExit(f"{gpkg} or {posterior} is missing: run `make demo` first")

    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    try:
        return run(demo, gpkg, posterior)
    finally:
        app.exitQgis()


def run(demo, gpkg, posterior):
    from qgis.core import (QgsProcessingContext, QgsProcessingFeedback, QgsProject, QgsRasterLayer,
                           QgsVectorFileWriter, QgsVectorLayer, QgsCoordinateTransformContext)

    from pdok_fixture import PdokFixtureServer
    from geopin.processing.what_is_in_view import WhatIsInView

    estimates = QgsVectorLayer(f"{gpkg}|layername=estimate", "estimate", "ogr")
    raster = QgsRasterLayer(str(posterior), "posterior")
    if not estimates.isValid() or not raster.isValid():
        raise SystemExit(f"cannot open the demo result in {demo}")
    point = next(estimates.getFeatures()).geometry().asPoint()
    centre = (round(point.x() / 8.0) * 8.0 + 3.0, round(point.y() / 8.0) * 8.0 + 31.0)  # lots off-centre
    print(f"estimate RD {point.x():.1f}, {point.y():.1f}; fixture neighbourhood around {centre[0]:.0f}, {centre[1]:.0f}")

    class Feedback(QgsProcessingFeedback):
        def pushInfo(self, info):  # noqa: N802
            print("   " + info)

        def reportError(self, error, fatalError=False):  # noqa: N802,N803
            print("   ERROR " + error)

    with PdokFixtureServer(centre) as srv:
        alg = WhatIsInView()
        alg.initAlgorithm()
        context = QgsProcessingContext()
        context.setProject(QgsProject.instance())
        cache = demo / "pdok_fixture_cache.gpkg"
        if cache.exists():
            cache.unlink()  # the fixture is regenerated each run: never answer from an old one
        params = {"ESTIMATES": estimates, "POSTERIORS": [raster], "BRK_URL": srv.base_urls["brk"],
                  "BGT_URL": srv.base_urls["bgt"], "BAG_URL": srv.base_urls["bag"], "CACHE": str(cache),
                  "SKIP_NO_MATCH": False, "OUTPUT_PARCELS": "memory:", "OUTPUT_BUILDINGS": "memory:",
                  "OUTPUT_ADDRESSES": "memory:"}
        results, ok = alg.run(params, context, Feedback())
        if not ok:
            raise SystemExit("geopin:whatisinview failed")
        print(f"   {len(srv.state.log)} requests to the fixture PDOK")
    out = demo / "whatisinview.gpkg"
    for i, key in enumerate(("OUTPUT_PARCELS", "OUTPUT_BUILDINGS", "OUTPUT_ADDRESSES")):
        layer = context.takeResultLayer(results[key])
        opts = QgsVectorFileWriter.SaveVectorOptions()
        opts.driverName, opts.layerName = "GPKG", key.split("_", 1)[1].lower()
        opts.actionOnExistingFile = (QgsVectorFileWriter.CreateOrOverwriteFile if i == 0
                                     else QgsVectorFileWriter.CreateOrOverwriteLayer)
        QgsVectorFileWriter.writeAsVectorFormatV3(layer, str(out), QgsCoordinateTransformContext(), opts)
        feats = sorted(layer.getFeatures(), key=lambda f: f["rank"])
        total = sum(f["probability"] for f in feats)
        if feats:
            top = feats[0]
            name = (top["aanduiding"] if key == "OUTPUT_PARCELS" else top["address"] if key == "OUTPUT_ADDRESSES"
                    else f"BAG pand {top['bag_pand_id']}")
            kind = {"OUTPUT_PARCELS": "parcel", "OUTPUT_BUILDINGS": "building"}.get(key, "address")
            note = (f"the {len(feats)} listed sum to {100 * total:.1f} %" if kind != "address"
                    else "the probability of its building")
            print(f"top {kind:8s} {name}: P = {100 * top['probability']:.1f} % ({note})")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
