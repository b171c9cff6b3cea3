"""``python -m ringlens`` runs the CLI."""

from ringlens.launch import main

main()
