"""The authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2).

`request.py` turns raw parameters into a checked request by running the named checks in the
spec's order; `decision.py` decides between a code, a login, a consent and an error;
`response.py` shapes what goes back to the client.
"""
