"""Tokens this provider issues: JWT access tokens (RFC 9068) and, later, ID tokens."""
