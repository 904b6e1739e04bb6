#!/usr/bin/env node
// A relying party built on openid-client v6, run against a real `ciam-oidc serve` by
// the tests in tests/interop/. It performs ONE scenario and prints ONE JSON object on
// stdout saying what it observed; it exits 0 whenever that object is printed, even if the
// provider answered with errors, because the pytest side makes the assertions.
//
//   node rp.mjs SCENARIO [--name=value ...]
//   SCENARIO: discovery | client_credentials | code_flow | passkey_flow
//
// Settings come from RP_* variables; a `--name=value` argument overrides RP_NAME (upper-cased,
// dashes to underscores), e.g. `--client-id=abc` overrides RP_CLIENT_ID.

import * as client from 'openid-client';

import { decodeJwt, describeError, newResult, step } from './report.mjs';

const DEFAULTS = {
  RP_SCOPE: 'openid profile email offline_access',
  RP_MACHINE_SCOPE: 'reports:read',
  RP_AUTH_METHOD: 'client_secret_post', // what openid-client does when given a bare secret
  RP_CHROMIUM: '/usr/bin/chromium',
  RP_WAIT_MS: '30000',
  RP_DEADLINE_MS: '240000',
};
const REQUIRED = {
  discovery: ['RP_ISSUER', 'RP_CLIENT_ID'],
  client_credentials: ['RP_ISSUER', 'RP_CLIENT_ID', 'RP_CLIENT_SECRET'],
  code_flow: [
    'RP_ISSUER',
    'RP_CLIENT_ID',
    'RP_CLIENT_SECRET',
    'RP_REDIRECT_PORT',
    'RP_USER_EMAIL',
    'RP_USER_PASSWORD',
  ],
};
REQUIRED.passkey_flow = REQUIRED.code_flow;

function readSettings(argv, env) {
  const [scenario, ...flags] = argv;
  const settings = { ...DEFAULTS };
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('RP_')) settings[name] = value;
  }
  for (const flag of flags) {
    const match = /^--([a-z][a-z0-9-]*)=(.*)$/s.exec(flag);
    if (!match) usage(`unexpected argument ${flag}`);
    settings[`RP_${match[1].toUpperCase().replaceAll('-', '_')}`] = match[2];
  }
  if (!(scenario in REQUIRED)) usage(`unknown scenario ${scenario ?? '(none)'}`);
  const missing = REQUIRED[scenario].filter((name) => !settings[name]);
  if (missing.length) usage(`missing settings: ${missing.join(', ')}`);
  return {
    scenario,
    issuer: settings.RP_ISSUER,
    clientId: settings.RP_CLIENT_ID,
    clientSecret: settings.RP_CLIENT_SECRET,
    authMethod: settings.RP_AUTH_METHOD,
    scope: settings.RP_SCOPE,
    machineScope: settings.RP_MACHINE_SCOPE,
    redirectPort: Number(settings.RP_REDIRECT_PORT),
    email: settings.RP_USER_EMAIL,
    password: settings.RP_USER_PASSWORD,
    chromium: settings.RP_CHROMIUM,
    waitMs: Number(settings.RP_WAIT_MS),
    deadlineMs: Number(settings.RP_DEADLINE_MS),
  };
}

function usage(problem) {
  process.stderr.write(`rp.mjs: ${problem}\nusage: node rp.mjs ${Object.keys(REQUIRED).join('|')}\n`);
  process.exit(2);
}

/** `client.discovery` exactly as an application on http://localhost would call it. */
export async function discover(settings) {
  // With `undefined` authentication openid-client sends the secret as client_secret_post.
  const authentication =
    settings.authMethod === 'client_secret_basic'
      ? client.ClientSecretBasic(settings.clientSecret)
      : undefined;
  return client.discovery(
    new URL(settings.issuer),
    settings.clientId,
    settings.clientSecret,
    authentication,
    { execute: [client.allowInsecureRequests], timeout: settings.waitMs / 1000 },
  );
}

async function discoveryScenario(settings, result) {
  await step(result, 'discovery', [], async (seen) => {
    seen.metadata = (await discover(settings)).serverMetadata();
  });
}

async function clientCredentialsScenario(settings, result) {
  const config = await step(result, 'discovery', [], async () => discover(settings));
  await step(result, 'client_credentials', ['discovery'], async (seen) => {
    const tokens = await client.clientCredentialsGrant(config, { scope: settings.machineScope });
    seen.token_type = tokens.token_type; // openid-client lower-cases it (RFC 6749 §5.1)
    seen.expires_in = tokens.expires_in ?? null;
    seen.scope = tokens.scope ?? null;
    seen.has_refresh_token = 'refresh_token' in tokens;
    seen.has_id_token = 'id_token' in tokens;
    seen.access_token = decodeJwt(tokens.access_token);
  });
}

const SCENARIOS = {
  discovery: discoveryScenario,
  client_credentials: clientCredentialsScenario,
  // Imported only here: playwright-core would slow the other scenarios' start.
  code_flow: async (settings, result) =>
    (await import('./code_flow.mjs')).runCodeFlow(settings, result, discover),
  passkey_flow: async (settings, result) =>
    (await import('./passkey_flow.mjs')).runPasskeyFlow(settings, result, discover),
};

let printed = false;

function printOnce(result) {
  if (printed) return;
  printed = true;
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`, () => process.exit(0));
}

async function main() {
  const settings = readSettings(process.argv.slice(2), process.env);
  const result = newResult(settings);
  // One bound over the whole scenario, so a stuck step still yields the JSON seen so far.
  setTimeout(() => {
    result.deadline_exceeded = true;
    printOnce(result);
  }, settings.deadlineMs).unref();
  try {
    await SCENARIOS[settings.scenario](settings, result);
  } catch (error) {
    result.fatal = describeError(error); // a harness bug: still report what was seen
  }
  result.elapsed_ms = Date.now() - result.started_at;
  printOnce(result);
}

await main();
