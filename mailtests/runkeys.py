"""Names the plugin (:mod:`mailtests.plugin`) and its pytest-html hooks (:mod:`mailtests.htmlreport`) share.

Kept apart so that neither imports the other: the plugin registers htmlreport, and
htmlreport reads the run the plugin keeps in the config's stash.
"""

from __future__ import annotations

from typing import Any

import pytest

#: The run of a session (``mailtests.plugin.Run``) in ``config.stash``.
RUN_KEY = pytest.StashKey[Any]()
#: The name under which a compliance test's record travels in ``report.user_properties``.
RECORD_PROPERTY = "mailtests_result"
#: Above this many compliance tests a run is large: pytest's heavy per-test outputs give way (``plugin._large``).
QUIET_ABOVE = 1000
