"""Penalty cases: officers, evidence, the proposal, the leader's approval and the 公安行政处罚决定书."""
