"""The camera registry service: filings, numbers, camera codes, API and CLI."""
