"""Requirement documents applicants upload and attach to their applications."""
