"""`python -m posecheck.cli`: the console script."""

import sys

from posecheck.cli import main

sys.exit(main())
