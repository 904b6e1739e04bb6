"""OAuth 2.0 / OpenID Connect rules, in the specs' own terms; no web framework, no database."""
