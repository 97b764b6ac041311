"""Tags on the runs the CDC sensors request; steps read them to act as part of a CDC batch.

A module of its own so that every zone can read them without importing the chain (cdc_chain.py
imports the warehouse).
"""

TRIGGER_TAG = "lakehouse/trigger"
# runs started by a sensor that saw changes (the local capture, DMS files)
CDC_TRIGGERS = ("cdc", "raw_cdc_files")


def is_cdc_run(context) -> bool:
    """A run a sensor requested for a CDC batch (see cdc_chain.py). In such a run a table with
    nothing new yields no materialization, and Dagster skips what depends on it; a run started
    by hand always rebuilds what it names."""
    return context.run.tags.get(TRIGGER_TAG) in CDC_TRIGGERS
