"""Reading the forms of our own pages: one value per field, and a CSRF token that matches."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ciam_oidc.i18n import N_
from ciam_oidc.protocol.errors import InvalidRequest
from ciam_oidc.web.csrf import FORM_FIELD, CsrfRejected
from ciam_oidc.web.oauth_responses import single_valued_form
from ciam_oidc.web.outcomes import OutcomePages

_BAD_FORM = (N_("This page could not be read"), N_("Go back and try again."))
EXPIRED_FORM = (N_("This page has expired"), N_("Go back, reload the page and try again."))


async def checked_form(
    request: Request, outcomes: OutcomePages, purpose: str
) -> dict[str, str] | Response:
    """The form's fields, or the error page to answer with.

    `purpose` must be the one the page was rendered with (`OutcomePages.form_page`), so a token
    taken from one form cannot be replayed on another.
    """
    try:
        form = await single_valued_form(request)
    except InvalidRequest:
        return outcomes.pages.error_page(*_BAD_FORM, status_code=400)
    try:
        outcomes.csrf.check(request, form.get(FORM_FIELD), purpose)
    except CsrfRejected:
        return outcomes.pages.error_page(*EXPIRED_FORM, status_code=403)
    return form
