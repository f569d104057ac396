"""A real slapd for tests. (Filled by the security app.)"""
