"""Bulk-filling a registry with a synthetic city (a million cameras) that obeys every rule the services do."""
