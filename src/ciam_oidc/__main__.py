"""`python -m ciam_oidc` is the same as the `ciam-oidc` command."""

import sys

from ciam_oidc.cli import main

sys.exit(main())
