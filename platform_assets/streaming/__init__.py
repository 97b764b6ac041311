"""The CDC stream: one long-lived run that carries each batch of changes from the pgoutput slot
to the facts (capture, apply, curate, warehouse load, dbt in process), instead of one Dagster
run per batch, so a steady stream pays no run launch and no dbt start-up per change.

It calls the same step functions the assets run (raw/cdc_capture, processed/apply.py,
curated/refresh.py, warehouse/loader.py, the dbt project) on the same selection a capture
run refreshes (orchestration/cdc_chain.py), so every rule of those steps holds per batch.
"""
