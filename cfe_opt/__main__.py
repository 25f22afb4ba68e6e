"""``python -m cfe_opt`` is the ``cfe-opt`` command."""

import sys

from cfe_opt.cli import main

sys.exit(main())
