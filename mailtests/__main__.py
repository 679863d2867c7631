"""``python -m mailtests``: the ``mailtests`` command (see :mod:`mailtests.cli`).

    python -m mailtests example.com                audit a domain
    python -m mailtests --domains=domains.yaml     audit a domains file
    python -m mailtests merge OUT_DIR SHARDS...    merge the results.json of shards
"""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
