"""Uploaded requirement documents (content-checked, size-capped, owner and officers only)."""
