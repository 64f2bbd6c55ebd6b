"""Ramparts cli."""
