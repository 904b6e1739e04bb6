// The `passkey_flow` scenario: a customer signs in with a password, adds a passkey on the
// account page, signs out, and signs in again with the passkey alone, in a real Chromium whose
// virtual authenticator (DevTools WebAuthn domain) plays the device. The authenticator belongs
// to the page's DevTools target, so the whole scenario runs in ONE page.

import * as client from 'openid-client';

import {
  authorizeInBrowser,
  followInBrowser,
  pageSummary,
  watchedPage,
} from './browser.mjs';
import {
  CALLBACK_PATH,
  LOGGED_OUT_PATH,
  describeCallback,
  endSessionUrl,
  newAuthorizationRequest,
  redeem,
  withBrowser,
} from './code_flow.mjs';
import { step } from './report.mjs';

const PASSKEYS_PATH = '/account/passkeys';
// A platform authenticator that keeps discoverable credentials and verifies its user (as a
// phone's or laptop's screen lock would), answering every ceremony without a person.
const AUTHENTICATOR = {
  protocol: 'ctap2',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
};

export async function runPasskeyFlow(settings, result, discover) {
  await withBrowser(settings, result, discover, runSteps);
}

/** Every form the page POSTs to the provider: its path, its `method` field, and whether it
 * carried a password. */
function recordFormPosts(page, issuer) {
  const posts = [];
  const origin = new URL(issuer).origin;
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (request.method() !== 'POST' || url.origin !== origin) return;
    const fields = new URLSearchParams(request.postData() ?? '');
    posts.push({ path: url.pathname, method: fields.get('method'), has_password: fields.has('password') });
  });
  return posts;
}

/** On the sign-in page, choose the passkey button and nothing else: no field is filled. */
async function choosePasskey(page) {
  return page.locator('#passkey-sign-in');
}

/**
 * Run `fn` while the page's browser says it has no passkey autofill (conditional mediation).
 * A virtual authenticator without DevTools UI answers a conditional request as soon as the page
 * makes it, as if someone had picked the passkey from the email field's suggestions at once,
 * so the sign-in page would post it before anyone could press the button.
 */
async function withoutAutofill(page, fn) {
  const hidden = await page.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  try {
    return await fn();
  } finally {
    await hidden.dispose();
  }
}

/** What the virtual authenticator holds, without the private keys. */
async function storedCredentials(authenticator) {
  const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', {
    authenticatorId: authenticator.id,
  });
  return credentials.map((credential) => ({
    is_resident_credential: credential.isResidentCredential,
    rp_id: credential.rpId ?? null,
    sign_count: credential.signCount,
    user_handle: credential.userHandle ? Buffer.from(credential.userHandle, 'base64').toString('utf8') : null,
    backup_eligibility: credential.backupEligibility ?? null,
  }));
}

async function runSteps({ settings, result, config, browser, callbacks }) {
  const tab = await step(result, 'page', ['browser'], async () => {
    const context = await browser.newContext();
    const watched = await watchedPage(context);
    return { context, watched, posts: recordFormPosts(watched.page, settings.issuer) };
  });
  const ready = ['discovery', 'callback_server', 'page'];
  const { context, watched, posts } = tab ?? {};
  // A failing step's page summary holds the browser's messages from that step alone.
  const run = (name, needs, fn) => step(result, name, needs, async (seen) => {
    watched.messages.splice(0);
    return fn(seen);
  });
  const browse = (url, seen, extra = {}) =>
    ({ context, watched, callbacks, url: url.href, path: CALLBACK_PATH, settings, seen, ...extra });

  const authenticator = await run('authenticator', ['page'], async (seen) => {
    const cdp = await context.newCDPSession(watched.page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: AUTHENTICATOR });
    seen.options = AUTHENTICATOR;
    return { cdp, id: authenticatorId };
  });

  // 1. Sign in with the password (and consent), as the customer did before having a passkey.
  const first = await run('password_sign_in', [...ready, 'authenticator'], async (seen) => {
    const request = await newAuthorizationRequest(config, settings);
    const hit = await authorizeInBrowser(browse(request.url, seen));
    seen.callback = describeCallback(hit);
    return { ...request, hit };
  });
  const signedIn = await run('password_tokens', ['password_sign_in'], async (seen) =>
    redeem(config, first.hit, first.checks, seen));

  // 2. Add a passkey on the account page, with the session that sign-in left.
  await run('add_passkey', ['password_tokens'], async (seen) => {
    const { page, messages } = watched;
    try {
      const shown = await page.goto(`${settings.issuer}${PASSKEYS_PATH}`, {
        timeout: settings.waitMs,
        waitUntil: 'domcontentloaded',
      });
      seen.page_status = shown?.status() ?? null;
      await page.locator('#passkey-add').click({ timeout: settings.waitMs });
      // The list with the new passkey, or the reason it was refused (server or browser).
      await page.waitForSelector('ul.passkeys li, #passkeys-error, #passkey-error', {
        state: 'visible',
        timeout: settings.waitMs,
      });
      seen.url = page.url();
      seen.listed = await page.locator('ul.passkeys li').count();
      seen.notice = await page.locator('p.notice').first().textContent({ timeout: 2000 }).catch(() => null);
      seen.authenticator_credentials = await storedCredentials(authenticator);
      if (!seen.listed) throw new Error('the passkey is not in the account page\'s list');
    } catch (error) {
      seen.last_page = await pageSummary(page, messages);
      throw error;
    }
  });

  // 3. RP-initiated logout, back at the RP's page.
  await run('sign_out', [...ready, 'password_tokens'], async (seen) => {
    seen.expected_state = client.randomState();
    const url = endSessionUrl(config, settings, signedIn.id_token, seen.expected_state);
    seen.callback = describeCallback(
      await followInBrowser(browse(url, seen, { path: LOGGED_OUT_PATH })));
  });

  // 4. Sign in again with the passkey button alone: no address, no password, no autofill.
  const second = await run('passkey_sign_in', [...ready, 'add_passkey', 'sign_out'], async (seen) => {
    posts.splice(0);
    const request = await newAuthorizationRequest(config, settings);
    try {
      const hit = await withoutAutofill(watched.page, () =>
        authorizeInBrowser(browse(request.url, seen, { signIn: choosePasskey })));
      seen.callback = describeCallback(hit);
      return { ...request, hit };
    } finally {
      seen.form_posts = [...posts];
      seen.password_form_submitted = posts.some((post) => post.method === 'password' || post.has_password);
    }
  });
  await run('passkey_tokens', ['passkey_sign_in'], async (seen) => {
    await redeem(config, second.hit, second.checks, seen);
    seen.authenticator_credentials = await storedCredentials(authenticator);
  });
}
