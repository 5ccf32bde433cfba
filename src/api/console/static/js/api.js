/* global document, sessionStorage, window */
// The console's only way to the engine: the /api/v1 routes, with the operator's token.

const TOKEN_KEY = 'signalbox.console.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

/** Forgets the token; the console shows the sign-in form again. */
export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  window.dispatchEvent(new CustomEvent('signalbox:signed-out'));
}

/** An answer other than 2xx, with the API's stable code and, for bad input, every bad field. */
export class ApiError extends Error {
  constructor(status, code, message, issues = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.issues = issues;
  }

  /** What an operator reads: the message, the bad fields, and what to do about 401/403. */
  describe() {
    const fields = this.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    const hint =
      this.status === 403
        ? ' Your token’s role is too low for this (resume, terminate and replay need operator).'
        : this.status === 401
          ? ' Sign in again with a valid token.'
          : '';
    return [`${this.message} (${this.code})${hint}`, ...fields].join('\n');
  }
}

/** Any error as an operator reads it. */
export function explain(error) {
  return error instanceof ApiError ? error.describe() : String(error?.message ?? error);
}

function formatPath(path) {
  if (Array.isArray(path)) return path.join('.') || '(request)';
  return String(path ?? '(request)');
}

/** `/api/v1` relative to where the console is served, so a path prefix in front of both still works. */
function apiUrl(path, query) {
  const url = new URL(`../api/v1${path}`, document.baseURI);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    url.searchParams.append(name, String(value));
  }
  return url;
}

/**
 * Calls the API. Answers the parsed JSON (null for 204), or with `raw` the Response itself.
 * Throws ApiError on any answer but 2xx; a 401 also signs out.
 */
export async function call(method, path, { query, body, raw = false, signal } = {}) {
  const headers = { Accept: 'application/json' };
  const current = token();
  if (current) headers.Authorization = `Bearer ${current}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(apiUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      signal,
    });
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    throw new ApiError(0, 'UNREACHABLE', `The API did not answer: ${error?.message ?? error}`);
  }
  if (!response.ok) {
    const failure = await errorOf(response);
    if (response.status === 401) signOut();
    throw failure;
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

async function errorOf(response) {
  let payload;
  try {
    payload = await response.json();
  } catch {
    payload = undefined;
  }
  const error = payload?.error ?? {};
  return new ApiError(
    response.status,
    typeof error.code === 'string' ? error.code : `HTTP_${response.status}`,
    typeof error.message === 'string' ? error.message : response.statusText || `HTTP ${response.status}`,
    Array.isArray(error.issues) ? error.issues : [],
  );
}

export const get = (path, query, options = {}) => call('GET', path, { ...options, query });
export const post = (path, body, options = {}) => call('POST', path, { ...options, body });

/** A message id or other name as one path segment. */
export const segment = (value) => encodeURIComponent(value);
