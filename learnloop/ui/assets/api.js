// GraphQL over HTTP for the UI pages, with the signed-in token from sessionStorage.

export const TOKEN_KEY = 'learnloop.token';
export const ENDPOINT = new URL('/graphql', location.origin).href;

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Accepts "Bearer xyz", quotes or stray whitespace around a pasted token or API key. */
export function normaliseToken(raw) {
  return raw.trim().replace(/^bearer\s+/i, '').replace(/^["']|["']$/g, '').trim();
}

/** The caller is not signed in (UNAUTHENTICATED) or may not do this (FORBIDDEN). */
export class AuthError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const AUTH_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

export function errorCode(error) {
  return error?.extensions?.code ?? null;
}

/** Plain words for GraphQL errors a person can act on. */
export function describeError(error) {
  const code = errorCode(error);
  if (code === 'UNAUTHENTICATED') {
    return 'You are not signed in, or your token has expired or been revoked. Sign in again with a fresh token.';
  }
  if (code === 'FORBIDDEN') {
    return `Your role may not do this. ${error.message || ''}`.trim();
  }
  if (code === 'RATE_LIMITED') {
    const wait = error.extensions?.retryAfter;
    return `Too many changes in a short time; try again${wait ? ` in ${wait} s` : ' shortly'}.`;
  }
  return error?.message || 'Something went wrong.';
}

/**
 * POST one operation. Resolves to {data, errors}; throws AuthError when the whole request is
 * refused (HTTP 401/403, or every error is an auth error and there is no data) and Error when
 * the server cannot be reached or does not answer with GraphQL.
 */
export async function gql(query, variables = {}, { token = getToken() } = {}) {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
  };
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(ENDPOINT, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch {
    throw new Error('The learnloop server cannot be reached. Check that it is running.');
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const errors = body?.errors ?? [];
  if (response.status === 401 || response.status === 403) {
    const code = response.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN';
    throw new AuthError(code, describeError(errors[0] ?? { extensions: { code } }));
  }
  if (!body) throw new Error(`The server answered ${response.status} without a GraphQL response.`);
  const data = body.data ?? null;
  // The server's clock, for countdowns that must not depend on the browser's clock being right.
  const serverTime = Date.parse(response.headers.get('date') ?? '') || Date.now();
  const allAuth = errors.length > 0 && errors.every((e) => AUTH_CODES.has(errorCode(e)));
  if (allAuth && (data === null || Object.values(data).every((v) => v === null))) {
    throw new AuthError(errorCode(errors[0]), describeError(errors[0]));
  }
  return { data, errors, serverTime };
}

/** The errors of one root field (by its response key). */
export function errorsFor(errors, key) {
  return errors.filter((e) => Array.isArray(e.path) && e.path[0] === key);
}

/** Run a mutation and return its payload; GraphQL errors become a thrown Error in plain words. */
export async function mutate(query, variables, field, options) {
  const { data, errors } = await gql(query, variables, options);
  if (errors.length) {
    const first = errors[0];
    if (AUTH_CODES.has(errorCode(first))) throw new AuthError(errorCode(first), describeError(first));
    throw new Error(describeError(first));
  }
  return data[field];
}

/** A userError in words a person understands; unknown codes keep the server's message. */
export function describeUserError(error) {
  const plain = {
    LEASE_NOT_HELD:
      'Your lease on this example has ended: it expired, or another expert holds it now. Nothing was saved. Claim the next task to continue.',
    INVALID_STATE: 'This example was already decided, so nothing was saved. Claim the next task.',
    LIMIT_EXCEEDED: 'You hold as many tasks as you may at once. Finish or release one first.',
    NOT_FOUND: 'It no longer exists, or it is not in your organisation.',
    FROZEN: 'This dataset version is frozen and cannot change.',
  };
  const where = error.field?.length ? ` (${error.field.filter((p) => p !== 'input').join('.')})` : '';
  return plain[error.code] ?? `${error.message}${where}`;
}

export const VIEWER_QUERY = `query Viewer { viewer { kind role organization { slug name } user { email displayName } } }`;
