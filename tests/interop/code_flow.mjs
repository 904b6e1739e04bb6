// The `code_flow` scenario: what a confidential web application does with openid-client v6
// and a real browser. Each step is recorded on its own (see report.mjs); later steps name the
// earlier ones they need and are recorded as skipped when those did not work.

import * as client from 'openid-client';

import {
  authorizeInBrowser,
  closeBounded,
  followInBrowser,
  launchChromium,
  startCallbackServer,
} from './browser.mjs';
import { describeError, describeTokens, step } from './report.mjs';

export const CALLBACK_PATH = '/callback';
export const LOGGED_OUT_PATH = '/logged-out';

/** A fresh authorization request: PKCE S256, state and nonce, as openid-client's docs do it. */
export async function newAuthorizationRequest(config, settings, extra = {}) {
  const checks = {
    pkceCodeVerifier: client.randomPKCECodeVerifier(),
    expectedState: client.randomState(),
    expectedNonce: client.randomNonce(),
    idTokenExpected: true,
  };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: `http://localhost:${settings.redirectPort}${CALLBACK_PATH}`,
    scope: settings.scope,
    code_challenge: await client.calculatePKCECodeChallenge(checks.pkceCodeVerifier),
    code_challenge_method: 'S256',
    state: checks.expectedState,
    nonce: checks.expectedNonce,
    ...extra,
  });
  return { url, checks };
}

/** The callback as openid-client wants it: the URL for a redirect, a Request for form_post. */
function callbackInput(hit) {
  if (hit.method !== 'POST') return new URL(hit.url);
  return new Request(hit.url, {
    method: 'POST',
    headers: { 'content-type': hit.content_type ?? 'application/x-www-form-urlencoded' },
    body: hit.body,
  });
}

export function describeCallback(hit) {
  const url = new URL(hit.url);
  const parameters = hit.method === 'POST' ? new URLSearchParams(hit.body) : url.searchParams;
  return {
    method: hit.method,
    content_type: hit.content_type,
    query: Object.fromEntries(url.searchParams),
    parameters: Object.fromEntries(parameters),
  };
}

/** Redeem the callback's code; returns the tokens and records what they held. */
export async function redeem(config, hit, checks, seen) {
  const tokens = await client.authorizationCodeGrant(config, callbackInput(hit), checks);
  Object.assign(seen, describeTokens(tokens));
  seen.id_token_claims = tokens.claims() ?? null; // as validated by openid-client
  return tokens;
}

/** Ask openid-client to read an authorization response that should be an error. */
async function readErrorResponse(config, hit, checks, seen) {
  try {
    await client.authorizationCodeGrant(config, callbackInput(hit), checks);
    seen.library_error = null;
  } catch (error) {
    seen.library_error = describeError(error);
  }
}

/** A grant the scenario expects the server to refuse: record its answer, never throw for it. */
async function expectRefusal(seen, attempt) {
  try {
    const tokens = await attempt();
    seen.accepted = true;
    seen.tokens = describeTokens(tokens);
  } catch (error) {
    if (!(error instanceof client.ResponseBodyError)) throw error;
    seen.accepted = false;
    seen.error = describeError(error);
  }
}

async function introspect(config, token, hint) {
  return { ...(await client.tokenIntrospection(config, token, { token_type_hint: hint })) };
}

/** RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2) back to the RP's page. */
export function endSessionUrl(config, settings, idToken, state) {
  return client.buildEndSessionUrl(config, {
    id_token_hint: idToken,
    post_logout_redirect_uri: `http://localhost:${settings.redirectPort}${LOGGED_OUT_PATH}`,
    state,
  });
}

export async function runCodeFlow(settings, result, discover) {
  await withBrowser(settings, result, discover, runSteps);
}

/**
 * The steps every browser scenario starts with (discovery, the RP's callback server, Chromium),
 * then `run({settings, result, config, browser, callbacks})`; the browser and the server are
 * closed however it ends.
 */
export async function withBrowser(settings, result, discover, run) {
  const config = await step(result, 'discovery', [], async (seen) => {
    const discovered = await discover(settings);
    seen.metadata = discovered.serverMetadata();
    return discovered;
  });
  let browser;
  let callbacks;
  try {
    callbacks = await step(result, 'callback_server', [], async (seen) => {
      const server = await startCallbackServer(settings.redirectPort);
      seen.base = server.base;
      return server;
    });
    browser = await step(result, 'browser', [], async (seen) => {
      const launched = await launchChromium(settings.chromium, settings.waitMs);
      seen.version = launched.version();
      return launched;
    });
    await run({ settings, result, config, browser, callbacks });
  } finally {
    await closeBounded(browser, 10000);
    await callbacks?.close();
  }
}

async function runSteps({ settings, result, config, browser, callbacks }) {
  const main = await step(result, 'main_context', ['browser'], async () => browser.newContext());
  const ready = ['discovery', 'callback_server', 'main_context'];
  const browse = (context, url, seen, path = CALLBACK_PATH) =>
    ({ context, callbacks, url: url.href, path, settings, seen });

  // 1. Sign in (and consent) through the provider's pages, then redeem the code.
  const first = await step(result, 'authorize', ready, async (seen) => {
    // OpenID Connect Core §11: offline_access needs prompt=consent (or an earlier consent).
    const offline = settings.scope.split(' ').includes('offline_access');
    const request = await newAuthorizationRequest(config, settings, offline ? { prompt: 'consent' } : {});
    seen.authorization_url = request.url.href;
    const hit = await authorizeInBrowser(browse(main, request.url, seen));
    seen.callback = describeCallback(hit);
    return { ...request, hit };
  });
  const tokens = await step(result, 'code_exchange', ['authorize'], async (seen) =>
    redeem(config, first.hit, first.checks, seen));
  const sub = tokens?.claims()?.sub;

  await step(result, 'userinfo', ['code_exchange'], async (seen) => {
    seen.claims = { ...(await client.fetchUserInfo(config, tokens.access_token, sub)) };
  });
  await step(result, 'introspection', ['code_exchange'], async (seen) => {
    seen.access_token = await introspect(config, tokens.access_token, 'access_token');
    seen.refresh_token = await introspect(config, tokens.refresh_token, 'refresh_token');
  });

  // 2. Refresh twice, then replay the first refresh token (RFC 9700 §4.14.2: rotation).
  const refreshed = await step(result, 'refresh_1', ['code_exchange'], async (seen) => {
    const next = await client.refreshTokenGrant(config, tokens.refresh_token);
    Object.assign(seen, describeTokens(next));
    seen.refresh_token_rotated = next.refresh_token !== tokens.refresh_token;
    return next;
  });
  await step(result, 'refresh_2', ['refresh_1'], async (seen) => {
    const next = await client.refreshTokenGrant(config, refreshed.refresh_token);
    Object.assign(seen, describeTokens(next));
    seen.refresh_token_rotated = next.refresh_token !== refreshed.refresh_token;
  });
  await step(result, 'refresh_reuse', ['refresh_2'], async (seen) =>
    expectRefusal(seen, () => client.refreshTokenGrant(config, tokens.refresh_token)));

  // 3. prompt=none with the browser session: a code, no page. Its grant (untouched by the
  //    replay above, which may revoke the first grant) serves the revocation steps.
  const silent = await step(result, 'prompt_none_same_context', ready, async (seen) => {
    const request = await newAuthorizationRequest(config, settings, { prompt: 'none' });
    const hit = await followInBrowser(browse(main, request.url, seen));
    seen.callback = describeCallback(hit);
    seen.tokens = {};
    return redeem(config, hit, request.checks, seen.tokens);
  });
  await step(result, 'revocation', ['prompt_none_same_context'], async (seen) => {
    if (!silent.refresh_token) throw new Error('the prompt=none exchange gave no refresh token');
    seen.before = await introspect(config, silent.refresh_token, 'refresh_token');
    await client.tokenRevocation(config, silent.refresh_token, { token_type_hint: 'refresh_token' });
    seen.after = await introspect(config, silent.refresh_token, 'refresh_token');
    seen.refresh = {};
    await expectRefusal(seen.refresh, () => client.refreshTokenGrant(config, silent.refresh_token));
  });

  // 4. prompt=none without any session: the error comes back to the RP, not a page.
  const fresh = await step(result, 'fresh_context', ['browser'], async () => browser.newContext());
  await step(result, 'prompt_none_fresh_context', ['discovery', 'callback_server', 'fresh_context'], async (seen) => {
    const request = await newAuthorizationRequest(config, settings, { prompt: 'none' });
    seen.expected_state = request.checks.expectedState;
    const hit = await followInBrowser(browse(fresh, request.url, seen));
    seen.callback = describeCallback(hit);
    await readErrorResponse(config, hit, request.checks, seen);
  });
  await closeBounded(fresh, 5000);

  // 5. response_mode=form_post: the browser POSTs the response to the RP.
  const posted = await step(result, 'form_post', ready, async (seen) => {
    const request = await newAuthorizationRequest(config, settings, { response_mode: 'form_post' });
    const hit = await authorizeInBrowser(browse(main, request.url, seen));
    seen.callback = describeCallback(hit);
    seen.tokens = {};
    return redeem(config, hit, request.checks, seen.tokens);
  });

  // 6. RP-initiated logout with the session's latest ID token, then prove the session is gone.
  await step(result, 'end_session', ready, async (seen) => {
    const [source, latest] = [['form_post', posted], ['prompt_none_same_context', silent], ['code_exchange', tokens]]
      .find(([, issued]) => issued?.id_token) ?? [null, null];
    if (!latest) throw new Error('no earlier step obtained an ID token to use as id_token_hint');
    seen.id_token_hint_from = source;
    seen.expected_state = client.randomState();
    const url = endSessionUrl(config, settings, latest.id_token, seen.expected_state);
    seen.end_session_url = url.href;
    seen.callback = describeCallback(await followInBrowser(browse(main, url, seen, LOGGED_OUT_PATH)));
  });
  await step(result, 'prompt_none_after_logout', [...ready, 'end_session'], async (seen) => {
    const request = await newAuthorizationRequest(config, settings, { prompt: 'none' });
    const hit = await followInBrowser(browse(main, request.url, seen));
    seen.callback = describeCallback(hit);
    await readErrorResponse(config, hit, request.checks, seen);
  });
  await closeBounded(main, 5000);
}
