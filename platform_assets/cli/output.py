"""Plain text tables for the terminal (no pandas in the core install)."""

from __future__ import annotations


def _cell(value, width: int | None = 32) -> str:
    text = "" if value is None else str(value)
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def format_rows(rows: list[dict], columns: list[str], wrap_last: bool = False) -> str:
    """Rows under a header; long cells are cut unless they are in the last column and
    `wrap_last`."""
    cells = [
        [_cell(r.get(c), None if wrap_last and i == len(columns) - 1 else 32) for i, c in enumerate(columns)]
        for r in rows
    ]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *map(line, cells)])


def when(value) -> str:
    """A time to the second, or empty."""
    return value.isoformat(timespec="seconds") if value else ""
