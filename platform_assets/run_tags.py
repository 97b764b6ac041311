"""Tags on the runs the CDC sensors request; steps read them to act as part of a CDC batch."""

TRIGGER_TAG = "lakehouse/trigger"
# runs started by a sensor that saw changes (the local capture, DMS files)
CDC_TRIGGERS = ("cdc", "raw_cdc_files")


def is_cdc_run(context) -> bool:
    """A run a sensor requested for a CDC batch (see cdc_chain.py)."""
    return context.run.tags.get(TRIGGER_TAG) in CDC_TRIGGERS
