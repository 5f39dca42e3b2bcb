"""A release directory: writing it atomically, and comparing two releases."""
