"""Backups of the database and every blob directory, and restoring them (`camreg backup` / `camreg restore`)."""
