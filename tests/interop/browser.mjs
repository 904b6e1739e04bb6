// The browser side of the code flow: Debian's Chromium driven by playwright-core, and the
// relying party's own http server catching the redirects (query or form_post) it is sent.

import http from 'node:http';

import { chromium } from 'playwright-core';

// docs: /work/shared/design/PITFALLS.md (no sandbox as root, no background traffic)
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SIGN_IN = 'input[name=password]';
const ALLOW = 'button[name=decision][value=allow]';
const MAX_INTERACTIONS = 4; // sign-in (maybe in two pages), consent, and one spare

export async function launchChromium(executablePath, waitMs) {
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: waitMs });
}

/** Close without ever hanging the scenario: a page closed mid-navigation can stall. */
export async function closeBounded(closable, waitMs) {
  if (!closable) return;
  await Promise.race([closable.close().catch(() => {}), sleep(waitMs)]);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The RP's redirect target on http://localhost:PORT. `expect(path)` arms a wait for the next
 * request to that path (armed before navigating, so none can be missed) and resolves with
 * {method, url, content_type, body}.
 */
export async function startCallbackServer(port) {
  const base = `http://localhost:${port}`;
  const waiters = new Map();
  const handle = async (request, response) => {
    const url = new URL(request.url, base);
    const body = await readBody(request).catch(() => '');
    if (url.pathname === '/favicon.ico') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end('<!doctype html><title>RP</title><p>relying party received the response</p>');
    const hit = {
      method: request.method,
      url: url.href,
      content_type: request.headers['content-type'] ?? null,
      body,
    };
    waiters.get(url.pathname)?.(hit);
    waiters.delete(url.pathname);
  };
  // Chromium may try ::1 or 127.0.0.1 for "localhost": answer on both where possible.
  const servers = [http.createServer(handle), http.createServer(handle)];
  await listen(servers[0], port, '127.0.0.1');
  await listen(servers[1], port, '::1').catch(() => servers.pop());
  return {
    base,
    expect(path, waitMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(path);
          reject(new Error(`no request to ${base}${path} within ${waitMs} ms`));
        }, waitMs);
        waiters.set(path, (hit) => {
          clearTimeout(timer);
          resolve(hit);
        });
      });
    },
    async close() {
      await Promise.all(servers.map((server) => new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      })));
    },
  };
}

const MAX_MESSAGES = 10;

/** A page that keeps what the browser said about it: console errors (CSP violations among
 * them) and failed or blocked requests, for the report when a step does not arrive. */
export async function watchedPage(context) {
  const page = await context.newPage();
  const messages = [];
  const keep = (text) => messages.length < MAX_MESSAGES && messages.push(text);
  page.on('console', (message) => {
    if (['error', 'warning'].includes(message.type())) keep(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => keep(`page error: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) keep(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  page.on('requestfailed', (request) =>
    keep(`failed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`));
  return { page, messages };
}

export async function pageSummary(page, messages) {
  const text = await page.locator('body').innerText({ timeout: 2000 }).catch(() => '');
  return {
    url: page.url(),
    title: await page.title().catch(() => ''),
    text: text.slice(0, 400),
    browser_messages: messages,
  };
}

/** The password form among the page's sign-in methods (an emailed link also asks for email). */
async function submitSignIn(page, settings) {
  const form = page.locator('form').filter({ has: page.locator('input[name=password]') }).first();
  const email = form.locator('input[name=email]');
  if (await email.count()) await email.fill(settings.email);
  await form.locator('input[name=password]').fill(settings.password);
  return form.locator('button[type=submit], input[type=submit], button:not([type])').first();
}

/**
 * Run `fn({page, messages})` on `watched` (a page of `watchedPage`, kept open for the caller)
 * when given, else on a new page of `context`, closed afterwards.
 */
async function onPage(context, watched, fn) {
  if (watched) return fn(watched);
  const fresh = await watchedPage(context);
  try {
    return await fn(fresh);
  } finally {
    await closeBounded(fresh.page, 5000);
  }
}

/**
 * Open `url` (in `watched`, or a new page of `context`) and answer what the provider shows
 * until the browser reaches the RP at `path`: the sign-in page with `signIn(page, settings)`,
 * which fills what it needs and returns the button to click (the password form by default),
 * and the consent page with "allow". Fills `seen` with what happened and returns the callback
 * request; throws with the last page's summary if none came.
 */
export async function authorizeInBrowser({
  context, watched, signIn = submitSignIn, callbacks, url, path, settings, seen,
}) {
  seen.login_page = false;
  seen.consent_page = false;
  seen.pages = []; // each provider page answered: [kind, path]
  const callback = callbacks.expect(path, settings.waitMs);
  let arrived = null;
  callback.then((hit) => { arrived = hit; }, () => {});
  return onPage(context, watched, async ({ page, messages }) => {
    try {
      const first = await page
        .goto(url, { timeout: settings.waitMs, waitUntil: 'domcontentloaded' })
        .catch((error) => { seen.navigation_error = error.message.split('\n')[0]; return null; });
      seen.first_response_status = first?.status() ?? null;
      for (let interaction = 0; interaction < MAX_INTERACTIONS && !arrived; interaction += 1) {
        const shown = page
          .waitForSelector(`${SIGN_IN}, ${ALLOW}`, { state: 'visible', timeout: settings.waitMs })
          .then(() => 'page', () => 'nothing');
        const next = await Promise.race([callback.then(() => 'callback', () => 'timeout'), shown]);
        if (next !== 'page' || arrived) break;
        let button;
        const path = new URL(page.url()).pathname;
        if (await page.locator(SIGN_IN).count()) {
          seen.pages.push(['sign_in', path]);
          seen.login_page = true;
          button = await signIn(page, settings);
        } else {
          seen.pages.push(['consent', path]);
          seen.consent_page = true;
          button = page.locator(ALLOW).first();
        }
        const loaded = page.waitForEvent('domcontentloaded', { timeout: settings.waitMs });
        loaded.catch(() => {}); // the callback may win; a late timeout here means nothing
        await button.click({ timeout: settings.waitMs });
        await Promise.race([loaded, callback]).catch(() => {});
      }
      return arrived ?? await callback; // rejects with the timeout if it has not come by now
    } catch (error) {
      seen.last_page = await pageSummary(page, messages); // a button that never worked, too
      throw error;
    }
  });
}

/** Open `url` (in `watched`, or a new page of `context`) and return where the browser ends
 * up: the RP's callback at `path`, or not. */
export async function followInBrowser({ context, watched, callbacks, url, path, settings, seen }) {
  const callback = callbacks.expect(path, settings.waitMs);
  return onPage(context, watched, async ({ page, messages }) => {
    const first = await page
      .goto(url, { timeout: settings.waitMs, waitUntil: 'domcontentloaded' })
      .catch((error) => { seen.navigation_error = error.message.split('\n')[0]; return null; });
    seen.first_response_status = first?.status() ?? null;
    try {
      return await callback;
    } catch (error) {
      seen.last_page = await pageSummary(page, messages);
      throw error;
    }
  });
}
