"""Entry point of ``python -m checks.oracle`` (see ``checks.oracle.cli``)."""

import sys

from checks.oracle.cli import main

sys.exit(main())
