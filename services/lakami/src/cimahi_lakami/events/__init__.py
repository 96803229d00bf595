"""LAKAMI's events: its own domain events and the platform's request-lifecycle contract."""
