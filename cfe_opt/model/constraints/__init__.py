"""Constraint families: one module each, one ``add_*`` function each, docstring = formula."""
