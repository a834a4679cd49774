"""Shared pytest set-up: hypothesis profiles.

Hypothesis loads its built-in ``ci`` profile (derandomized, no deadline, no database) when
the ``CI`` environment variable is set; we keep that. Outside CI, our own profile is chosen
with ``TINYGRAD_EDU_HYPOTHESIS_PROFILE`` (``dev`` when unset, ``thorough`` for a long run),
or with pytest's ``--hypothesis-profile``. Numerical tests set their own ``max_examples``
(``strategies.numeric_settings``), which the environment variable's ``thorough`` multiplies
by ten; ``--hypothesis-profile thorough`` raises only the tests that keep the default.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow],
)

if not os.environ.get("CI"):
    settings.load_profile(os.environ.get("TINYGRAD_EDU_HYPOTHESIS_PROFILE", "dev"))
