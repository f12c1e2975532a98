"""Entry point for ``python -m models_ml``."""
import sys

from models_ml.cli import main

sys.exit(main())
