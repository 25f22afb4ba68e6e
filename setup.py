"""Packaging beyond what pyproject.toml can say: models/ ships inside the package.

The bundled scenarios live in models/ (the one copy, used as-is from a source checkout); the
wheel installs that folder as the package data ``cfe_opt.bundled``, where
``cfe_opt.bundled_scenarios`` finds it (``cfe-opt scenarios list`` / ``copy DIR``).
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["cfe_opt", "cfe_opt.*"]), "cfe_opt.bundled"],
    package_dir={"cfe_opt.bundled": "models"},
)
