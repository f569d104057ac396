"""Tirek: the IT operations platform of a university's software development department."""
