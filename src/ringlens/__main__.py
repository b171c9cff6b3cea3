"""``python -m ringlens`` runs the CLI."""

from ringlens.cli import main

main()
