"""``python -m cimahi_lakami migrate|seed|serve``."""

from cimahi_lakami.cli import app

app()
