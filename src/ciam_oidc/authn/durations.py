"""Lengths of time as pages and mail tell them, in the language of the request: "3 minutes".

Both round so that nobody is misled: a wait is rounded up (coming back a moment too early
only meets another refusal), a link's lifetime down (it never promises more than it keeps).
"""

from __future__ import annotations

import math
from datetime import timedelta

from ciam_oidc.i18n import ngettext


def wait_in_words(wait: timedelta) -> str:
    """ "40 seconds", "3 minutes": rounded up to the unit told."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return ngettext("%(num)d second", "%(num)d seconds", seconds) % {"num": seconds}
    return _minutes(math.ceil(seconds / 60))


def lifetime_in_words(ttl: timedelta) -> str:
    """ "30 minutes": how long a mailed link or code works, as its mail and page say."""
    return _minutes(max(1, int(ttl.total_seconds()) // 60))


def _minutes(minutes: int) -> str:
    return ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes}
