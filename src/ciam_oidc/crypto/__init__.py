"""Keys, JWKS, password hashing, random secrets and encryption at rest: no I/O, no framework."""
