"""From verified references to an answer: the posterior over RD New (``posterior.py``,
``density.py``), its calibration (``calibration.py`` and the fitted JSON files), bearing
lines from relative poses (``relative_pose.py``, ``bearings.py``), ranges from facades
(``buildings.py``, ``facades.py``) and the view cone (``viewcone.py``)."""
