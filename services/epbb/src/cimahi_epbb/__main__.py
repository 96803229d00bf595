"""``python -m cimahi_epbb migrate|seed|generate|serve``."""

from cimahi_epbb.cli import app

app()
