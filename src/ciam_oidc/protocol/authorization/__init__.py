"""The authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2, §3.2.2, §3.3.2).

`request.py` turns raw parameters (a request object's merged in, `protocol.request_objects`)
into a checked request by running the named checks in the spec's order; `decision.py` decides
between issuing, a login, a consent and an error; `tokens.py` makes the tokens the implicit and
hybrid flows return from here; `response.py` shapes what goes back to the client.
`third_party_login.py` starts a sign-in from elsewhere (Core §4).
"""
