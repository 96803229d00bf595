"""Issued documents: numbers, PDFs with QR codes, and public verification."""
