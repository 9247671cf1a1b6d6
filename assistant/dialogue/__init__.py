"""Dialogues as data: the schema, loading with line numbers, and the engine."""
