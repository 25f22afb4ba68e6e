"""Model layer: variables and constraint families (no solving here)."""

from cfe_opt.model.build import build_model
from cfe_opt.model.core import Model, Row, RowInfo

__all__ = ["Model", "Row", "RowInfo", "build_model"]
