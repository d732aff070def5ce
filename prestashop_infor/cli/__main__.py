"""``python -m prestashop_infor.cli``: the ``prestashop-infor`` command."""

import sys

from prestashop_infor.cli import main

if __name__ == "__main__":  # not when imported (test_layout imports every module)
    sys.exit(main())
