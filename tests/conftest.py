"""Suite-wide settings.

The property tests draw the same examples on every run, so a run of the suite
is repeatable and a red run is never chance. ``REPBAND_HYPOTHESIS=explore``
draws fresh random examples instead, to hunt for new failing cases.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("REPBAND_HYPOTHESIS", "repeatable"))
