"""Businesses by NIB and the accounts that own them."""
