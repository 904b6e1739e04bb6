"""Outbound federation: this provider as a client of upstream identity providers (OpenID
Connect and plain OAuth 2.0), built on authlib's httpx client and joserfc.

Implements `authn.upstreams.UpstreamClient`; the rules about local accounts live in
`authn.federation`, which never sees HTTP.
"""
