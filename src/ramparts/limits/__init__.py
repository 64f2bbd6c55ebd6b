"""Ramparts limits."""
