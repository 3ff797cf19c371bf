"""The supervisor's dashboard: figures per district and per police station, each a link to its list."""
