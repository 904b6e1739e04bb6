#!/usr/bin/env node
// npm's oidc-provider (v9) as an upstream identity provider that ciam-oidc signs people in
// through, started by tests/browser/test_federation.py. It is an independent implementation
// of OpenID Connect: what our federation client accepts from it, it accepts from the spec, not
// from our own server's habits.
//
//   UP_PORT=... UP_CLIENT_ID=... UP_CLIENT_SECRET=... UP_REDIRECT_URIS="a b" \
//   UP_ACCOUNT_ID=... UP_ACCOUNT_EMAIL=... UP_ACCOUNT_NAME=... node upstream_provider.mjs
//
// One confidential client (client_secret_basic, PKCE required, any response mode the provider
// offers: query or form_post) and one account. The person signs in on oidc-provider's own
// development pages, typing the account id as the login (any password), then confirms.
// Once listening it prints one JSON line, {"issuer": ...}; it stops on SIGTERM.

import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

const HOST = '127.0.0.1';

function setting(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

const port = Number(setting('UP_PORT'));
const issuer = `http://${HOST}:${port}`;
const account = {
  sub: setting('UP_ACCOUNT_ID'),
  email: setting('UP_ACCOUNT_EMAIL'),
  email_verified: true,
  name: setting('UP_ACCOUNT_NAME'),
};

// A fresh signing key per run: our client must fetch it from jwks_uri, nothing is shared.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'upstream-1', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: setting('UP_CLIENT_ID'),
      client_secret: setting('UP_CLIENT_SECRET'),
      redirect_uris: setting('UP_REDIRECT_URIS').split(' '),
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [signingKey] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Confidential clients may skip PKCE by default; ours must send it, so make it a rule.
  pkce: { required: () => true },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    if (id !== account.sub) {
      return undefined;
    }
    return { accountId: id, claims: async () => ({ ...account }) };
  },
});

const server = provider.listen(port, HOST, () => {
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
