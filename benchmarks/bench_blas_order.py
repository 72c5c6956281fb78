"""The fast tier's CPU when another package's OpenBLAS sorts first among the loaded
libraries (a venv under /home or /tmp puts opencv-python-headless's private copy
before Debian's /usr one): the first library only, as blas_threads.py chose until
2026-12-07, against every library, as it does now. Runs profile_query.py's queries
with the library list reversed.

    .venv/bin/python benchmarks/bench_blas_order.py first|every [--queries 8]

Run the two alternately on an idle machine and compare the "fast" CPU.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_geolocate  # noqa: E402,F401  (sets sys.path for the plugin)
import cv2  # noqa: E402,F401  (its bundled OpenBLAS is loaded now, as in a locate)
import profile_query  # noqa: E402
from geopin.geopin_plugin.engine.verification import blas_threads  # noqa: E402


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("first", "every"):
        sys.exit(__doc__)
    rule = argv.pop(0)
    paths = sorted(blas_threads._loaded_libraries(), reverse=True)
    found = blas_threads.libraries_at(paths)
    blas_threads._found = found[:1] if rule == "first" else found
    print(f"{rule}: {len(blas_threads._found)} of {len(found)} OpenBLAS libraries set; first by path "
          f"{Path(paths[0]).name if paths else 'none'}")
    profile_query.main(argv or ["--queries", "8"])


if __name__ == "__main__":
    main()
