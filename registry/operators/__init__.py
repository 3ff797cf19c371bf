"""Operators (使用单位): the organisations that run video systems and must file them."""
