"""Ramparts policy."""
