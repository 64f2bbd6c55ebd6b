"""Ramparts web."""
