"""The software version (also pyproject.toml's; tests/test_citation.py holds them equal)."""

__version__ = "0.2.0"
