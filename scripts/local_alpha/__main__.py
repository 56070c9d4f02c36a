import sys

from local_alpha.cli import main

sys.exit(main())
