#!/usr/bin/env python
"""Kept for tools that look for manage.py; people use the `tirek` command."""

from tirek.cli import main

if __name__ == "__main__":
    main()
