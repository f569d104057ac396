"""Personas for tests: one user per role, in a small university. (Filled by the people app.)"""
