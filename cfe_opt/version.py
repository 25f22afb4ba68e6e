"""Installed versions (a module of its own: the command line's --version imports nothing else)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version(name: str = "cfe-opt") -> str:
    """The installed version of a distribution; ``0+unknown`` when running from a source
    tree that is not installed."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "0+unknown"
