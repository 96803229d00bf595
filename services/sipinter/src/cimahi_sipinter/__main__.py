"""``python -m cimahi_sipinter migrate|serve``."""

from cimahi_sipinter.cli import app

app()
