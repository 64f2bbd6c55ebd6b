"""Ramparts discovery."""
