"""The extra time an album of 30 photos costs on top of locating them alone
(engine/album.py): reading 30 photos' capture time and camera, grouping, each
photo's witnesses, and the joint estimate, on amsterdam-walk's first 30 frames
(real per-photo evidence, from the evaluation caches).

    .venv/bin/python scripts/album_timing.py
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plugin_path import REPO  # noqa: E402,F401

from geopin.geopin_plugin.engine import album as al  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.config import EvalConfig  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.runner import ProtocolRunner  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.album_protocols import amsterdam_walk  # noqa: E402
from geopin.geopin_plugin.engine.paths import datasets_dir  # noqa: E402

N = 30
REPEATS = 20


def main():
    protocol = amsterdam_walk()
    spent = []
    evidence_of = al.evidence_of

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        out = evidence_of(*args, **kwargs)
        spent.append(time.perf_counter() - t0)
        return out

    al.evidence_of = timed
    runner = ProtocolRunner(protocol, EvalConfig(album="walking"))
    runner.run()
    al.evidence_of = evidence_of
    keys = protocol.albums[0][:N]
    photos = [runner.evidence[k] for k in keys]
    times = [protocol.times[k] for k in keys]
    files = sorted((Path(datasets_dir()) / "lund").glob("*.jpg"))
    files += sorted((Path(datasets_dir()) / "panoramax-samples").glob("e*.jpg"))
    files = files[:N]
    read, joint, group = [], [], []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        infos = [al.read_capture_info(f) for f in files]
        t1 = time.perf_counter()
        al.group_albums(infos, "file_order")
        t2 = time.perf_counter()
        outcome = al.locate_album(photos, times, al.AlbumConfig())
        t3 = time.perf_counter()
        read.append(t1 - t0)
        group.append(t2 - t1)
        joint.append(t3 - t2)
    med = statistics.median
    per_photo = med(spent)
    total = med(read) + med(group) + N * per_photo + med(joint)
    print(f"album of {N} photos (amsterdam-walk evidence, {len(files)} real files), median of {REPEATS}:")
    print(f"  read capture info  {med(read):.4f} s")
    print(f"  group              {med(group):.5f} s")
    print(f"  witnesses          {N * per_photo:.4f} s ({per_photo * 1000:.2f} ms a photo)")
    print(f"  joint estimate     {med(joint):.4f} s (max {max(joint):.4f}); "
          f"{sum(e.method == 'album' for e in outcome.estimates)} placed by the album")
    print(f"  total extra        {total:.4f} s")


if __name__ == "__main__":
    main()
