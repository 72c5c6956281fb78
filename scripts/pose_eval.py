import sys, time, math, json
from pathlib import Path; sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'build' / 'plugins'))
import numpy as np
from geopin.geopin_plugin.engine.evaluation import protocols as pr
from geopin.geopin_plugin.engine.evaluation.config import EvalConfig
from geopin.geopin_plugin.engine.evaluation.runner import ProtocolRunner
from geopin.geopin_plugin.engine.evaluation.results import write_results_csv
from dataclasses import replace
pos = sys.argv[1]; nmax = int(sys.argv[2]) if len(sys.argv) > 2 else 0
p = pr.amsterdam_lopo()
qs = [q for q in p.queries if q.positive]
if nmax: qs = qs[:: max(1, len(qs)//nmax)][:nmax]
p = replace(p, queries=qs)
r = ProtocolRunner(p, EvalConfig(position=pos))
r.prepare()
out = []
for q in qs:
    res = r.run_query(q); out.append(res)
    print(res.query, res.position_method, None if res.error_m is None else round(res.error_m,1), round(res.error_radius_m or 0,1),
          None if res.heading_error_deg is None else round(res.heading_error_deg,1), None if res.heading_sd_deg is None else round(res.heading_sd_deg,1), res.hfov_deg, round(res.t_pose,3), flush=True)
write_results_csv(out, f'build/eval/pose-lopo-{pos}-{nmax}.csv')
e = np.array([x.error_m for x in out if x.error_m is not None])
print('n', len(e), 'within10/25/50', [round(100*np.mean(e<=t),1) for t in (10,25,50)], 'median', round(float(np.median(e)),1))
