"""The administrator's pages: accounts, police units, calendar years, the jurisdiction-layer check."""
