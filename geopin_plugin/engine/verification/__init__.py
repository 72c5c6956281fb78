"""Verification: do a query and a reference show the same place?

Local features (extractors: ``xfeat.py``, ``rootsift.py``, ``disk.py``), their storage
format (``storage.py``), matchers (``lightglue.py``, mutual nearest neighbours in
``geometry.py``), the geometry that decides (``geometry.py``) and the verifier cascade
(``verifier.py``).

A new extractor or matcher is one file here and one entry in ``engine/registry.py``:
the registry is the only place that chooses a part by name, and no part imports it.
"""
