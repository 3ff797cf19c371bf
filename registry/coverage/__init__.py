"""Coverage maps from the registry's data: aggregated in the database, drawn by ``maps``."""
