"""Exports: the release's dumps and derived files (RDF, JSON-LD, KGX, views, Wikidata, metadata)."""
