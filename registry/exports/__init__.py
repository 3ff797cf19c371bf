"""Exports of the lists a user may see to .xlsx and CSV, streamed and audited."""
