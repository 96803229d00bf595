"""``python -m cimahi_dilandacinta migrate|seed|serve``."""

from cimahi_dilandacinta.cli import app

app()
