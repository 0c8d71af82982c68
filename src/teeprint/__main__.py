"""``python -m teeprint`` runs the command line."""

from teeprint.cli import main

main()
