"""Typer sub-apps for database-free commands; the root CLI (registry/cli.py) mounts them.

* ``registry.commands.workdays.workdays_app`` → ``camreg workdays`` (add, between, years)
* ``registry.commands.codes.codes_app`` → ``camreg codes`` (validate, uscc)
"""
