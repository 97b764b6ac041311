"""How a real AWS DMS task must write the raw zone: its S3 target settings and table mapping.

Declared once, here, and read by the infrastructure code (infra/: the DMS endpoint and task)
and by the README (section "Pointing a real AWS DMS task at the raw bucket" shows
`markdown()`; a test keeps the two equal). The values are what raw/dms_layout.py reads:
- `DataFormat=parquet` (or CSV with a header, `CSV_ALTERNATIVE`), `.parquet` names;
- `TimestampColumnName`: the source commit time every CDC row must carry (`_commit_ts`);
- `IncludeOpForFullLoad=false`: full-load files have no `Op` column (LOAD files are inserts);
- `DatePartitionEnabled=false`: files in date subfolders are reported, not read;
- `CdcPath` left unset, so DMS writes `<schema>/<table>/` folders under the bucket folder;
- the `_change_seq` column from the header `$AR_H_CHANGE_SEQ` (35 characters), which makes a
  resent file change nothing (raw/positions.py).
"""

from __future__ import annotations

import json

from platform_assets.contracts import CONTRACTS
from platform_assets.raw.dms_layout import CHANGE_SEQ_COLUMN, TIMESTAMP_COLUMN

# the raw zone's folder DMS writes under: <lake root>/raw/cdc (Lake.raw_cdc_prefix)
TARGET_FOLDER = ("raw", "cdc")

# the S3 target endpoint's settings (CloudFormation/API S3Settings names)
S3_TARGET_SETTINGS: dict[str, str | bool] = {
    "DataFormat": "parquet",
    "TimestampColumnName": TIMESTAMP_COLUMN,
    "IncludeOpForFullLoad": False,
    "DatePartitionEnabled": False,
}
# CSV works too (with a header, so the reader finds the columns by name)
CSV_ALTERNATIVE: dict[str, str | bool] = {"DataFormat": "csv", "AddColumnName": True}

# DMS pads nothing: AR_H_CHANGE_SEQ is 35 digits (raw/positions.py pads integers to this width)
CHANGE_SEQ_LENGTH = 35


def change_seq_rule(rule_id: int = 100) -> dict:
    """The table-mapping transformation adding `_change_seq` to every table of every schema."""
    return {
        "rule-type": "transformation",
        "rule-id": str(rule_id),
        "rule-name": "add-change-seq",
        "rule-target": "column",
        "object-locator": {"schema-name": "%", "table-name": "%"},
        "rule-action": "add-column",
        "value": CHANGE_SEQ_COLUMN,
        "expression": "$AR_H_CHANGE_SEQ",
        "data-type": {"type": "string", "length": CHANGE_SEQ_LENGTH},
    }


def table_mappings() -> dict:
    """The task's table mappings: every contract table selected, plus `_change_seq`."""
    rules = [
        {
            "rule-type": "selection",
            "rule-id": str(i),
            "rule-name": f"include-{c.schema}-{c.name}",
            "object-locator": {"schema-name": c.schema, "table-name": c.name},
            "rule-action": "include",
        }
        for i, c in enumerate(CONTRACTS.values(), start=1)
    ]
    return {"rules": [*rules, change_seq_rule()]}


def markdown() -> str:
    """The README's block: the endpoint settings and the rule, as JSON to paste."""
    return "\n".join(
        [
            "```json",
            json.dumps(S3_TARGET_SETTINGS),
            "```",
            "",
            "```json",
            json.dumps(change_seq_rule()),
            "```",
        ]
    )


if __name__ == "__main__":
    print(markdown())
