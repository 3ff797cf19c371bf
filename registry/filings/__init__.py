"""Filings (备案): submission, acceptance, correction, re-check and filing."""
