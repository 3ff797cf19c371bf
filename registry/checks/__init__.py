"""799号令 checks per operator: prohibited places (第八条), retention (第十七条), staff training (第十九条)."""
