"""数据报送: the unit statistics of a month, quarter or year, and the city roll-up (notice, section 五)."""
