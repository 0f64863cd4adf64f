"""Physical constants and unit conversions, defined once.

Everything inside Repband speaks SI-ish units: seconds (s), hertz (Hz),
metres per second squared (m/s²) for acceleration, degrees per second (deg/s)
for angular rate and degrees (deg) for angles.
"""

from __future__ import annotations

import math

#: Standard gravity, m/s² (CGPM 1901). Bands report acceleration in g or mG;
#: multiply by this to get m/s².
G_STANDARD: float = 9.80665

#: m/s² per milli-g.
MS2_PER_MG: float = G_STANDARD / 1000.0

#: deg per rad.
DEG_PER_RAD: float = 180.0 / math.pi

#: rad per deg.
RAD_PER_DEG: float = math.pi / 180.0
