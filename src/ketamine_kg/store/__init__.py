"""Publish a release into a remote triple store (Graph Store Protocol, Virtuoso bulk load)."""
