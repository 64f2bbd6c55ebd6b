"""Ramparts gateway."""
