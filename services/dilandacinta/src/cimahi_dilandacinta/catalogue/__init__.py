"""The catalogue of population documents: requirements, typed fields, time limits (service standards)."""
