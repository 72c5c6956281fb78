"""The evaluation harness: protocols run through the product's own stages
(engine/stages.py), every expensive part cached. Modules: config (the preset),
items (protocol items as pixels and views), caches (the caches and the stages' parts
that read them), runner (ProtocolRunner, DatabaseRunner), results (rows and metrics).
catalogue lists the built-in protocols, report writes the report; callers import
from these modules (there is no re-export module)."""
