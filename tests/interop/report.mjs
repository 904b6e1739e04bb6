// What rp.mjs prints: one result object whose `steps` record each step's outcome, so one
// failing step never hides the others. A step is `ok` when it ran to an answer; an answer the
// scenario expects to be an error (a reused refresh token, prompt=none without a session) is
// recorded inside an ok step, and the pytest side asserts on it.

export function newResult(settings) {
  return {
    scenario: settings.scenario,
    issuer: settings.issuer,
    client_id: settings.clientId,
    started_at: Date.now(),
    steps: {},
  };
}

/**
 * Run `fn(seen)` as step `name` unless a step it `needs` is missing or failed. `fn` fills
 * `seen` with what it observed and returns a value for later steps; a throw is recorded with
 * what `seen` held by then.
 */
export async function step(result, name, needs, fn) {
  const missing = needs.filter((need) => result.steps[need]?.ok !== true);
  if (missing.length) {
    result.steps[name] = { ok: false, skipped: `needs ${missing.join(', ')}` };
    return undefined;
  }
  const seen = {};
  const started = Date.now();
  try {
    const value = await fn(seen);
    result.steps[name] = { ok: true, ms: Date.now() - started, ...seen };
    return value;
  } catch (error) {
    result.steps[name] = { ok: false, ms: Date.now() - started, ...seen, error: describeError(error) };
    return undefined;
  }
}

/** The fields of openid-client / oauth4webapi errors that tell what the server answered. */
export function describeError(error) {
  if (!(error instanceof Error)) return { message: String(error) };
  const described = { name: error.name, message: error.message };
  for (const field of ['code', 'error', 'error_description', 'status']) {
    if (error[field] !== undefined) described[field] = error[field];
  }
  const cause = error.cause;
  if (cause instanceof URLSearchParams) described.parameters = Object.fromEntries(cause);
  else if (cause instanceof Error) described.cause = cause.message;
  else if (cause && typeof cause === 'object') described.body = cause;
  return described;
}

/** Header and claims of a JWT, unverified: only for reporting what the server issued. */
export function decodeJwt(token) {
  if (typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 3) return { opaque: true, length: token.length };
  try {
    const [header, claims] = parts
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    return { header, claims };
  } catch {
    return { opaque: true, length: token.length };
  }
}

/** What a token response held, without the secrets themselves. */
export function describeTokens(tokens) {
  return {
    token_type: tokens.token_type ?? null,
    expires_in: tokens.expires_in ?? null,
    scope: tokens.scope ?? null,
    has_refresh_token: typeof tokens.refresh_token === 'string',
    has_id_token: typeof tokens.id_token === 'string',
    access_token: decodeJwt(tokens.access_token),
    id_token: tokens.id_token ? decodeJwt(tokens.id_token) : null,
  };
}
