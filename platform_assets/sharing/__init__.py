"""A Delta Sharing server: the open REST protocol over the curated zone's Delta tables.

Recipients read shared tables with any Delta Sharing client (the official `delta-sharing`
Python connector, Spark, Power BI) given a profile file with the endpoint and their token.
"""

from platform_assets.sharing.recipients import Recipients
from platform_assets.sharing.server import create_app, serve

__all__ = ["Recipients", "create_app", "serve"]
