"""The README's DMS instructions are the platform's declaration (platform_assets/raw/dms_settings.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from platform_assets.raw import dms_settings

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "### Pointing a real AWS DMS task at the raw bucket"


def _section() -> str:
    text = README.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start)
    return text[start:end]


def test_the_readme_shows_the_declared_dms_settings_and_rule():
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)\n```", _section(), re.S)]
    assert blocks == [dms_settings.S3_TARGET_SETTINGS, dms_settings.change_seq_rule()]


def test_the_declaration_is_what_the_raw_zone_reads():
    from platform_assets.raw.dms_layout import CHANGE_SEQ_COLUMN, TIMESTAMP_COLUMN

    assert dms_settings.S3_TARGET_SETTINGS["TimestampColumnName"] == TIMESTAMP_COLUMN
    rule = dms_settings.change_seq_rule()
    assert (rule["value"], rule["expression"]) == (CHANGE_SEQ_COLUMN, "$AR_H_CHANGE_SEQ")
    assert dms_settings.S3_TARGET_SETTINGS["DatePartitionEnabled"] is False  # subfolders are not read
