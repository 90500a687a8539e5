"""The console's charts: which query feeds each one and how its table becomes an SVG picture.

Pictures are drawn on the server by pygal (pure Python, about ten times faster than
matplotlib's SVG backend on our charts: bench/charts_render.py) and served from our own route
as ``image/svg+xml`` for an ``<img>`` tag, so the page's Content-Security-Policy stays as it
is: no CDN, no script. pygal writes a small configuration ``<script>`` into every SVG for its
optional tooltips; :func:`render_svg` removes it, and an image never runs scripts anyway.

A chart is a :class:`Spec`: the query of :mod:`gateway.console.charts_data` that gives its
table, the kind of picture, the column of the x axis, the column whose values split the
series (if any) and the value columns drawn.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pygal  # type: ignore[import-untyped]
from lxml import etree  # type: ignore[import-untyped]  # no stubs installed
from pygal.style import Style  # type: ignore[import-untyped]
from sqlmodel import Session

from gateway.console import charts_data
from gateway.console.charts_data import Table

# pygal appends a legacy import hook for its map plugins (which we do not use) to sys.meta_path;
# it makes every later failed import warn (ImportWarning: find_spec() not found), so it goes.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

Query = Callable[..., Table]

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#222222",
    foreground_strong="#111111",
    foreground_subtle="#dddddd",
    colors=("#1f6feb", "#d1242f", "#2da44e", "#bf8700", "#8250df", "#0a7480", "#cf222e", "#57606a"),
    font_family="system-ui, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=14,
)
WIDTH, HEIGHT = 760, 340


@dataclass(frozen=True)
class Spec:
    """How one chart is drawn from its table."""

    query: Query
    kind: str  # line | bar | hbar
    x: str
    values: tuple[str, ...]
    series: str | None = None
    secondary: tuple[str, ...] = ()  # value columns drawn on the right-hand axis


CHARTS: dict[str, Spec] = {
    "messages": Spec(charts_data.messages_per_day, "line", "day", ("messages", "failed"), series="partner"),
    "money": Spec(charts_data.money_at_risk, "line", "day", ("at_risk", "recovered"), series="currency"),
    "invoices": Spec(charts_data.invoice_states, "bar", "state", ("documents",), series="kind"),
    "returns": Spec(charts_data.return_rate, "hbar", "sku", ("rate_percent",), series="marketplace"),
    "po_volume": Spec(
        charts_data.po_volume, "bar", "week", ("purchase_orders", "units"), secondary=("units",)
    ),
    "shortage_fc": Spec(charts_data.shortage_by_fc, "hbar", "fc", ("value",), series="currency"),
    "shortage_sku": Spec(charts_data.shortage_by_sku, "hbar", "sku", ("value",), series="currency"),
}
#: The charts the dashboard shows; the business page shows them all.
DASHBOARD = ("messages", "money")


def table(session: Session, name: str, today: date | None = None) -> Table:
    """The numbers of chart ``name`` (a :data:`CHARTS` key)."""
    return CHARTS[name].query(session, today)


def _label(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal | int | float) else None


def series_of(spec: Spec, data: Table) -> tuple[list[str], dict[str, list[float | None]]]:
    """The x labels and, per series name, one value per label (``None`` where a row is missing)."""
    index = {name: i for i, name in enumerate(data.columns)}
    labels: list[str] = []
    for row in data.rows:
        label = _label(row[index[spec.x]])
        if label not in labels:
            labels.append(label)
    position = {label: i for i, label in enumerate(labels)}
    out: dict[str, list[float | None]] = {}
    for row in data.rows:
        group = str(row[index[spec.series]]) if spec.series else ""
        for value_name in spec.values:
            name = f"{group} {value_name}".strip() if len(spec.values) > 1 or not group else group
            values = out.setdefault(name, [None] * len(labels))
            values[position[_label(row[index[spec.x]])]] = _number(row[index[value_name]])
    return labels, out


def render_svg(spec: Spec, data: Table) -> bytes:
    """The chart of ``data`` as a standalone SVG document without scripts."""
    kind = {"line": pygal.Line, "bar": pygal.Bar, "hbar": pygal.HorizontalBar}[spec.kind]
    chart = kind(
        style=STYLE,
        width=WIDTH,
        height=HEIGHT,
        js=[],
        title=data.title,
        x_label_rotation=30 if spec.kind != "hbar" else 0,
        show_minor_x_labels=len(data.rows) < 20,
        legend_at_bottom=True,
        truncate_legend=40,
        no_data_text="No data in this period",
        print_values=False,
        margin=12,
    )
    labels, series = series_of(spec, data)
    chart.x_labels = labels
    if len(labels) > 15:
        chart.x_labels_major_every = max(1, len(labels) // 8)
    for name, values in series.items():
        chart.add(name, values, secondary=any(name.endswith(s) for s in spec.secondary))
    tree = chart.render_tree()
    for script in tree.xpath("//*[local-name()='script']"):
        script.getparent().remove(script)
    svg: bytes = etree.tostring(tree, xml_declaration=True, encoding="utf-8")
    return svg
