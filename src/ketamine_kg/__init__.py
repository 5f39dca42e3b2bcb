"""ketamine-kg: a validated knowledge graph of ketamine's medical uses and their evidence."""

__version__ = "0.2.0"
