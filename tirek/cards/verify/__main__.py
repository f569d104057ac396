import sys

from tirek.cards.verify.cli import main

sys.exit(main())
