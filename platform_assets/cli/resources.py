"""The profile's resources for a command, initialized the way a Dagster run would (EnvVars
resolved: the `prod` lake's URI and keys)."""

from __future__ import annotations


def lake():
    """The profile's lake (`platform_assets.lake.Lake`)."""
    from platform_assets.profile import resources_for

    return resources_for()["lake"].process_config_and_initialize().lake()


def initialized(*keys: str) -> dict:
    """The profile's resources `keys`, initialized; defaults for keys the profile does not
    configure (metadata_store, events)."""
    from platform_assets.metadata.resources import local_metadata_store
    from platform_assets.profile import resources_for
    from platform_assets.settings import locations
    from platform_assets.sources.events.resources import EventStreamResource

    res = dict(resources_for())
    res.setdefault("metadata_store", local_metadata_store(locations().home))
    res.setdefault("events", EventStreamResource())
    return {k: res[k].process_config_and_initialize() for k in keys}
