"""CDC orchestration, above the zones it drives: the sensors that see changes (the local
capture's slot, new DMS files), the chain of assets one CDC batch refreshes as one run, and the
run tags that tell a zone's step it runs as part of such a batch.

Zones import only `run_tags` from here (a leaf module); nothing here is imported by a zone.
"""
