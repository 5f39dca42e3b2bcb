"""Serve a release over HTTP: SPARQL Protocol, linked data, downloads, the query UI."""
