"""``python -m spinn.sonata simulation_config.json`` — what ``spinn sonata`` runs on each
rank."""

import sys

from spinn.sonata import main

if __name__ == "__main__":
    sys.exit(main())
