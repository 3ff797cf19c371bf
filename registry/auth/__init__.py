"""Accounts, roles, bearer tokens and the one place that decides what a user may see."""
