"""The status console: a Flask app over the store, for operators during an incident.

Pages (server-rendered): dashboard, messages (filter, search, detail with the raw payload
and the failing segment highlighted), purchase orders, discrepancies, invoices, partners,
audit log, bulk replay. A JSON API under ``/api/`` with token auth and an OpenAPI document,
``/healthz`` and ``/metrics``. Users and roles: :mod:`gateway.console.users`.

Public entry points: :func:`create_app` and :func:`serve`.
"""

from gateway.console.app import create_app
from gateway.console.serve import serve

__all__ = ["create_app", "serve"]
