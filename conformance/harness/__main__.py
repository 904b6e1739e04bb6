import sys

from conformance.harness.runner import main

sys.exit(main())
