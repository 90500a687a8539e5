"""``python -m gateway`` runs the ``acorn`` command line."""

from gateway.cli import main

main()
