"""A dashboard page from the warehouse, and the index linking the pages.

`build` runs each chart's query in one read session and renders a self-contained HTML page:
plotly.js inlined once (readable with no network), one figure per chart as JSON beside its
plot (so tests and readers see exactly the numbers drawn), titles and axis titles with units,
and a "Data as of" line naming the newest warehouse load of each copy schema
(`curated._loads`, `events._loads`). A table that does not exist yet (the ML monitoring table
before its asset first runs) is said plainly on the page and in `missing`; the page is still
written, and no other dashboard depends on it.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from platform_assets.dashboards.figures import figure, plain_rows
from platform_assets.dashboards.queries import chart_sql, currencies_sql
from platform_assets.dashboards.reader import WarehouseLoad, WarehouseSession
from platform_assets.dashboards.registry import CURRENCY_TABLE, INDEX_NAME, Chart, Dashboard, Table

INDEX = f"{INDEX_NAME}.html"


@dataclass(frozen=True)
class ChartData:
    chart: Chart
    sql: str
    rows: list[dict]  # plain values, as drawn
    figure: dict


@dataclass
class BuiltDashboard:
    dashboard: Dashboard
    loads: list[WarehouseLoad]
    charts: list[ChartData] = field(default_factory=list)
    missing: list[Table] = field(default_factory=list)
    built_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    html: str = ""

    @property
    def data_as_of(self) -> str:
        if not self.loads:
            return "no warehouse load recorded yet"
        return "; ".join(load.describe() for load in self.loads)

    @property
    def rows_per_chart(self) -> dict[str, int]:
        return {c.chart.name: len(c.rows) for c in self.charts}

    def summary(self) -> dict:
        """What the index and the server show about the page (written beside it as JSON)."""
        return {
            "name": self.dashboard.name,
            "title": self.dashboard.title,
            "data_as_of": self.data_as_of,
            "built_at": self.built_at.isoformat(timespec="seconds"),
            "rows_per_chart": self.rows_per_chart,
            "missing_tables": [t.relation for t in self.missing],
        }


def build(dashboard: Dashboard, session: WarehouseSession) -> BuiltDashboard:
    """Query every chart of `dashboard` and render its page."""
    out = BuiltDashboard(dashboard, session.latest_loads())
    present = {t: session.exists(t.schema, t.name) for t in dashboard.tables}
    out.missing = [t for t, ok in present.items() if not ok]
    currency = "order currency"
    if dashboard.uses_currency and present.get(CURRENCY_TABLE):
        found = [r["currency"] for r in session.rows(currencies_sql(CURRENCY_TABLE.relation))]
        currency = ", ".join(str(c) for c in found) or currency
    for chart in dashboard.charts:
        if not present[chart.table]:
            continue
        sql = chart_sql(chart, chart.table.relation)
        rows = plain_rows(chart, session.rows(sql))
        out.charts.append(ChartData(chart, sql, rows, figure(chart, rows, currency)))
    out.html = page_html(out)
    return out


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _script_json(value) -> str:
    """JSON safe inside a <script> element."""
    from plotly.io.json import to_json_plotly

    return to_json_plotly(value).replace("</", "<\\/")


STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 2rem;
       color: #1f2933; }
header p { margin: .25rem 0; }
.as-of { color: #52606d; font-size: .9rem; }
.chart { margin: 1.5rem 0; border-top: 1px solid #e4e7eb; padding-top: .5rem; }
.missing { background: #fff3c4; border-left: 4px solid #f0b429; padding: .75rem 1rem; }
nav a { margin-right: 1rem; }
"""

DRAW = """
document.querySelectorAll('script.figure').forEach(function (s) {
  var f = JSON.parse(s.textContent);
  Plotly.newPlot(document.getElementById('plot-' + s.dataset.chart), f.data, f.layout,
                 {responsive: true, displaylogo: false});
});
"""


def _head(title: str, with_plotly: bool) -> str:
    js = f"<script>{_plotly_js()}</script>" if with_plotly else ""
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>{js}</head>"
    )


def page_html(built: BuiltDashboard) -> str:
    d = built.dashboard
    e = html.escape
    parts = [
        _head(d.title, with_plotly=bool(built.charts)),
        f'<body><nav><a href="{INDEX}">All dashboards</a></nav><header><h1>{e(d.title)}</h1>',
        f"<p>{e(d.description)}</p>",
        f'<p class="as-of">Data as of {e(built.data_as_of)}. Page built '
        f"{built.built_at:%Y-%m-%d %H:%M:%S} UTC. Audience: {e(', '.join(d.audiences))}.</p></header>",
    ]
    for t in built.missing:
        parts.append(
            f'<p class="missing" data-missing="{e(t.relation)}">The table {e(t.relation)} does not exist '
            f"in the warehouse yet ({e('/'.join(t.asset_key.path))} has not been materialized), so "
            f"this dashboard's charts over it cannot be drawn.</p>"
        )
    for c in built.charts:
        parts.append(
            f'<section class="chart" id="chart-{c.chart.name}"><div class="plot" id="plot-{c.chart.name}">'
            f'</div><script type="application/json" class="figure" data-chart="{c.chart.name}">'
            f"{_script_json(c.figure)}</script></section>"
        )
    if built.charts:
        parts.append(f"<script>{DRAW}</script>")
    parts.append("</body></html>\n")
    return "".join(parts)


def index_html(entries: list[dict], user: str | None = None) -> str:
    """The index: one link per page summary (`BuiltDashboard.summary()`), in registry order."""
    e = html.escape
    who = f" for {e(user)}" if user else ""
    items = []
    for s in entries:
        missing = (
            f' <span class="missing">waiting for {e(", ".join(s["missing_tables"]))}</span>'
            if s.get("missing_tables")
            else ""
        )
        items.append(
            f'<li><a href="{e(s["name"])}.html">{e(s["title"])}</a>{missing}'
            f'<br><span class="as-of">Data as of {e(s["data_as_of"])}; built {e(s["built_at"])}</span></li>'
        )
    body = "".join(items) or "<li>No dashboard has been built yet (materialize the dashboards group).</li>"
    return (
        f"{_head('Dashboards', with_plotly=False)}<body><header><h1>Dashboards{who}</h1></header>"
        f'<ul class="dashboards">{body}</ul></body></html>\n'
    )


def summary_json(built: BuiltDashboard) -> bytes:
    return json.dumps(built.summary(), indent=2).encode()
