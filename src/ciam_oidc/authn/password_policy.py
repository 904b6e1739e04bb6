"""Which new passwords are accepted: NIST SP 800-63B §3.1.1.2, and nothing more.

Length is what makes a password hard to guess, so there is a minimum and a generous maximum,
and no composition rules (a digit, a symbol, a capital letter): those push people towards
"Password1!" and add nothing an attacker's list does not already hold. What is refused instead
is what attackers try first: the most common passwords, and the account's own email address.

Lengths are counted in Unicode code points after NFKC normalisation (§3.1.1.2), so a password
typed with composed or decomposed accents, or full-width letters, counts the same everywhere.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib import resources

from ciam_oidc.i18n import gettext

# §3.1.1.2: verifiers SHOULD permit at least 64 characters; passphrases are welcome.
MAX_LENGTH = 256
_COMMON_PASSWORDS = "data/common_passwords.txt"


class PasswordPolicy:
    """Says what, if anything, is wrong with a password someone is choosing."""

    def __init__(self, min_length: int = 8) -> None:
        self.min_length = min_length
        self._common = _common_passwords()

    def problem(self, password: str, email: str | None = None) -> str | None:
        """A message for the person choosing `password`, in their language, or None when it
        is acceptable.

        `email` is the account's address, which the password must not repeat.
        """
        normalized = unicodedata.normalize("NFKC", password)
        if len(normalized) < self.min_length:
            return gettext(
                "Use at least %(min)d characters. A few unrelated words make a "
                "password that is long and easy to remember."
            ) % {"min": self.min_length}
        if len(normalized) > MAX_LENGTH:
            return gettext("Use at most %(max)d characters.") % {"max": MAX_LENGTH}
        folded = normalized.casefold()
        if folded in self._common:
            return gettext(
                "That password is one of the most common ones, which attackers try first. "
                "Choose one that is harder to guess."
            )
        if email and folded in _own_address(email):
            return gettext("Choose a password that is not your email address.")
        return None


def _own_address(email: str) -> set[str]:
    """The address and its local part, as a password repeating them would be folded."""
    address = unicodedata.normalize("NFKC", email.strip()).casefold()
    return {address, address.rpartition("@")[0]} - {""}


@cache
def _common_passwords() -> frozenset[str]:
    """The shipped list (lowercase, one per line, `#` starts a comment line), read once."""
    text = resources.files("ciam_oidc.authn").joinpath(_COMMON_PASSWORDS).read_text("utf-8")
    return frozenset(
        line for line in text.splitlines() if line.strip() and not line.startswith("#")
    )
