"""Issued permits: numbers, validity, conditions, PDF with QR, public verification, revocation."""
