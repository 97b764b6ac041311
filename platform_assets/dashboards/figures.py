"""A chart's query rows as a Plotly figure (JSON-ready dict): traces, title, axis titles.

Rows arrive as {x, series, m0, m1, ...} (queries.py) with plain values (`plain_rows`): numbers
as floats, dates and times as ISO text, a missing dimension value as "(none)". The figure holds
exactly those values, so what the page draws is what the warehouse returned.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import plotly.graph_objects as go

from platform_assets.dashboards.queries import measure_alias
from platform_assets.dashboards.registry import Chart

NONE_LABEL = "(none)"


def _plain(value, dimension: bool):
    if value is None:
        return NONE_LABEL if dimension else None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if dimension and not isinstance(value, (int, float, str)):
        return str(value)
    if not dimension and not isinstance(value, (int, float)):
        return float(value)
    return value


def plain_rows(chart: Chart, rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        item = {k: _plain(r.get(k), True) for k in ("x", "series") if k in r}
        for i in range(len(chart.measures)):
            item[measure_alias(i)] = _plain(r[measure_alias(i)], False)
        out.append(item)
    return out


def _titled(title: str, currency: str) -> str:
    return title.replace("{currency}", currency)


def figure(chart: Chart, rows: list[dict], currency: str = "order currency") -> dict:
    """The Plotly figure of `chart` for plain `rows` (an empty chart says it has no rows)."""
    traces: list = []
    if chart.kind == "funnel":
        row = rows[0] if rows else {}
        traces.append(
            go.Funnel(
                y=[m.label for m in chart.measures],
                x=[row.get(measure_alias(i)) or 0 for i in range(len(chart.measures))],
                textinfo="value+percent initial",
            )
        )
    elif chart.kind == "heatmap":
        m = chart.measures[0]
        traces.append(
            go.Heatmap(
                x=[r["x"] for r in rows],
                y=[r["series"] for r in rows],
                z=[r[measure_alias(0)] for r in rows],
                colorbar={"title": {"text": m.label}},
                hoverongaps=False,
            )
        )
    else:
        trace = go.Scatter if chart.kind == "line" else go.Bar
        extra = {"mode": "lines+markers"} if chart.kind == "line" else {}
        if chart.series:
            for value in dict.fromkeys(r["series"] for r in rows):
                mine = [r for r in rows if r["series"] == value]
                traces.append(
                    trace(
                        name=str(value),
                        x=[r["x"] for r in mine],
                        y=[r[measure_alias(0)] for r in mine],
                        **extra,
                    )
                )
        else:
            for i, m in enumerate(chart.measures):
                traces.append(
                    trace(
                        name=m.label, x=[r["x"] for r in rows], y=[r[measure_alias(i)] for r in rows], **extra
                    )
                )
    x_title, y_title = _titled(chart.x_title, currency), _titled(chart.y_title, currency)
    if chart.kind == "funnel":  # stages run down the y axis, counts along x
        x_title, y_title = y_title, x_title
    layout = go.Layout(
        title={"text": chart.title},
        xaxis={"title": {"text": x_title}, **({"type": "category"} if chart.kind == "bar" else {})},
        yaxis={"title": {"text": y_title}},
        showlegend=len(traces) > 1,
        margin={"t": 60, "l": 80, "r": 30, "b": 80},
        height=420,
    )
    if not rows:
        layout.annotations = [
            {"text": "No rows yet", "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}
        ]
    return go.Figure(data=traces, layout=layout).to_plotly_json()
