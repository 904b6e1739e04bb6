"""Outbound federation: this provider as a client of upstream identity providers (OpenID
Connect and plain OAuth 2.0), built on authlib's httpx client and joserfc.

Implements `authn.upstreams.UpstreamClient`; the rules about local accounts live in
`authn.federation`, which never sees HTTP.

- `presets`: Google, Microsoft, Apple, GitHub, Facebook and the generic kinds as data;
  `configure` checks an operator's configuration (`upstream_checks`).
- `client.UpstreamClients`: the port's implementation, one per process.
- the steps of a sign-in: `discovery` (endpoints), `callback` (state, RFC 9207 `iss`,
  errors), `token_exchange` (the code), `id_token` + `jwks` (OIDC proof), `oidc` / `oauth2`
  (the identity), `claims` (mapping); quirks in `apple` and `github`.
"""
