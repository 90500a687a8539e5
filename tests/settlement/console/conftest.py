"""The console fixtures (a gateway home, runtime, one user per role, the app and its client)."""

from tests.console.conftest import (  # noqa: F401  (fixtures)
    accounts,
    app,
    client,
    home,
    password_hash,
    runtime,
)
