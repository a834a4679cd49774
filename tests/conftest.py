"""Shared pytest set-up: hypothesis profiles.

Hypothesis loads its built-in ``ci`` profile (derandomized, no deadline, no database) when
the ``CI`` environment variable is set; we keep that. Outside CI, our own profile is chosen
with ``TINYGRAD_EDU_HYPOTHESIS_PROFILE`` (``dev`` when unset, ``thorough`` for a long run),
or with pytest's ``--hypothesis-profile``. Numerical tests set their own ``max_examples``
(``strategies.numeric_settings``, ``formula_helpers.NETWORK_SETTINGS``), which a profile
asking for more than 100 examples raises (ten times; the formula tests to the profile's own
number).

``ci-thorough`` is CI's second run (``.ci/run``): the ``ci`` profile (no deadline, no
database, the failing example's blob printed) with ``thorough``'s 1000 examples, and instead of
``derandomize`` (whose seed is a hash of each test's source) the seed that ``.ci/run``
passes with ``--hypothesis-seed``, so a failure there is replayed by running the same line.
It is loaded by naming it, ``TINYGRAD_EDU_HYPOTHESIS_PROFILE=ci-thorough``, with or without
``CI``.
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
settings.register_profile(
    "ci-thorough",
    parent=settings.get_profile("ci"),
    derandomize=False,  # else hypothesis ignores --hypothesis-seed
    max_examples=1000,
)

_chosen = os.environ.get("TINYGRAD_EDU_HYPOTHESIS_PROFILE")
if _chosen or not os.environ.get("CI"):
    settings.load_profile(_chosen or "dev")
