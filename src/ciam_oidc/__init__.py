"""ciam-oidc: a standards-first OAuth 2.0 / OpenID Connect provider for customer identity."""

__version__ = "0.1.0"
