"""Ramparts store."""
