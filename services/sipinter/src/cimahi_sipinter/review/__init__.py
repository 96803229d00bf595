"""The officers' stages: administrative check, assignment, technical verification, site survey,
recommendation, the head's signature or rejection."""
