"""What every agency's issued documents share: verification codes, masked names, the A4 PDF
primitives with the QR code of the public check, and the public check's HTML page.

``pdf`` needs ``fpdf2`` and ``segno``: only services that print documents import it (and declare
those libraries); the rest of the shared plumbing does not.
"""
