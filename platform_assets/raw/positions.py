"""Source positions: one sortable string per change that orders every writer's changes.

The apply folds changes to the last one per key by position and keeps a watermark, so the
position must order changes from every input alike: full-load files, CDC files with or
without `_change_seq`, DMS's `AR_H_CHANGE_SEQ` (`YYYYMMDDHHmmSShh` + a 19-digit counter) and
the local capture's sequence (commit LSN + counter), across switches between them in either
direction. The common part is the source commit time (`_commit_ts`, microseconds, which DMS
writes with `TimestampColumnName` and the local capture always writes); each scheme's own
order breaks ties within one commit time. Positions compare as plain strings:

    full load   "0" + LOAD counter (8 hex) + row (10 digits)
    CDC         "1" + commit time (17 digits, microseconds since 1970)
                    + "S" + `_change_seq` (35 digits, integers left-padded with zeros)
                    | "F" + file name time (17 digits, YYYYMMDDHHMMSSmmm) + row (10 digits)

Why this is exact where it matters: only changes to one key must order, and two commits that
change one key are serialized by the row lock, so they have different commit times (in
commit order). Changes of one transaction share the commit time and the sequence (or, without
one, the file and row order) orders them. A change delivered twice with `_change_seq` gets
the same position both times; without it, the copy gets a different position, which is why
the apply refuses a CDC file that repeats a (key, commit time) of an earlier file
(processed/redelivery.py). A full load comes before every CDC change.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

# The layout as data: this module builds positions with Arrow, the Spark job
# (processed/compute/spark_positions.py) with Spark SQL, both from these constants.
FULL_LOAD = "0"  # leads every full-load position
CDC = "1"  # leads every CDC position
SEQUENCED = "S"  # the tag of positions with `_change_seq`
FILE_ORDERED = "F"  # the tag of positions without `_change_seq`
SEQ_WIDTH = 35  # both DMS's AR_H_CHANGE_SEQ and the local capture's change_seq()
COMMIT_WIDTH = 17  # commit time, microseconds since 1970
ROW_WIDTH = 10  # row number within its file
_TAG_AT = len(CDC) + COMMIT_WIDTH
_US = pa.timestamp("us", tz="UTC")


class BadSequence(ValueError):
    pass


def _digits(values: pa.ChunkedArray | pa.Array, width: int) -> pa.ChunkedArray:
    return pc.utf8_lpad(pc.cast(values, pa.string()), width, "0")


def _rows(n: int) -> pa.Array:
    return _digits(pa.array(range(n), pa.int64()), ROW_WIDTH)


def full_load(counter_hex: str, n: int) -> pa.ChunkedArray:
    return pa.chunked_array([pc.binary_join_element_wise(f"{FULL_LOAD}{counter_hex}", _rows(n), "")])


def sequence_digits(seq: pa.ChunkedArray) -> pa.ChunkedArray:
    """`_change_seq` as fixed-width digits; raises BadSequence for nulls or non-digits."""
    if pa.types.is_integer(seq.type):
        if pc.min(seq).as_py() is not None and pc.min(seq).as_py() < 0:
            raise BadSequence("negative values")
    elif pa.types.is_string(seq.type) or pa.types.is_large_string(seq.type):
        ok = pc.match_substring_regex(seq, f"^[0-9]{{1,{SEQ_WIDTH}}}$")
        if not pc.all(ok.fill_null(True)).as_py():
            bad = seq.filter(pc.invert(ok.fill_null(True)))[0].as_py()
            raise BadSequence(f"{bad!r} is not 1 to {SEQ_WIDTH} digits")
    else:
        raise BadSequence(f"type {seq.type} (text of digits or integers expected)")
    if seq.null_count:
        raise BadSequence(f"{seq.null_count} changes have none")
    return _digits(seq, SEQ_WIDTH)


def _commit_micros(commit_ts: pa.ChunkedArray) -> pa.ChunkedArray:
    return _digits(pc.cast(pc.cast(commit_ts, _US), pa.int64()), COMMIT_WIDTH)


def sequenced(commit_ts: pa.ChunkedArray, seq_digits: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.binary_join_element_wise(CDC, _commit_micros(commit_ts), SEQUENCED, seq_digits, "")


def file_ordered(commit_ts: pa.ChunkedArray, file_time: str) -> pa.ChunkedArray:
    n = len(commit_ts)
    rows = pa.chunked_array([_rows(n)])
    return pc.binary_join_element_wise(CDC, _commit_micros(commit_ts), f"{FILE_ORDERED}{file_time}", rows, "")


def is_file_ordered(positions: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
    """True for CDC changes that carried no `_change_seq`."""
    return pc.equal(pc.utf8_slice_codeunits(positions, _TAG_AT, _TAG_AT + 1), FILE_ORDERED)


def is_position(value: str) -> bool:
    """False for a watermark written before this scheme (`0|...` or `1|...`)."""
    return value == "" or (value[:1] in FULL_LOAD + CDC and value[1:2].isalnum())
