"""Ramparts: the open platform for putting AI into production without leaking data."""

__version__ = "0.1.0"
