"""Contacts Migration: the application shell that wires engine, GUI and sandbox together."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("contacts-migration")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
