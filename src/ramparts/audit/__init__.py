"""Ramparts audit."""
