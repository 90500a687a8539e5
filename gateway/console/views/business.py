"""The business page: every chart of :mod:`gateway.console.charts` with its numbers and a CSV export.

``/business`` shows each picture beside the table it was drawn from; ``/business/NAME.svg`` is
the picture (for an ``<img>``: the page's CSP needs no change) and ``/business/NAME.csv`` the
same table as a download.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template

from gateway.console import charts
from gateway.console.context import db
from gateway.console.csv_export import csv_response

bp = Blueprint("business", __name__)

#: The picture is a document of its own: styles inline in the SVG, nothing else at all.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _spec(name: str) -> charts.Spec:
    spec = charts.CHARTS.get(name)
    if spec is None:
        abort(404, description=f"there is no chart {name!r}")
    return spec


@bp.route("/business")
def index() -> Any:
    session = db()
    tables = [(name, charts.table(session, name)) for name in charts.CHARTS]
    return render_template("business.html", tables=tables)


@bp.route("/business/<name>.svg")
def picture(name: str) -> Response:
    spec = _spec(name)
    svg = charts.render_svg(spec, charts.table(db(), name))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_POLICY
    return response


@bp.route("/business/<name>.csv")
def export(name: str) -> Response:
    _spec(name)
    data = charts.table(db(), name)
    return csv_response(f"{name}.csv", data.columns, data.rows)
