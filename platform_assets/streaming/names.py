"""The stream job's name and the trigger tag its runs carry: a leaf, so the CDC sensors can
look for a stream in flight without importing the stream (which imports the warehouse and dbt).
"""

STREAM_JOB = "cdc_stream"
STREAM_TRIGGER = "stream"  # the value of run_tags.TRIGGER_TAG on the stream's runs
