// The platform's HTTP API as the console calls it: the credential from sessionStorage as a bearer credential,
// problem+json answers turned into ApiError, a 401 anywhere sends the user back to sign-in.

const STORE_KEY = 'twin-console-credential';

export function credential() {
  return sessionStorage.getItem(STORE_KEY);
}

export function setCredential(value) {
  sessionStorage.setItem(STORE_KEY, value);
}

export function clearCredential() {
  sessionStorage.removeItem(STORE_KEY);
}

/** A refusal or failure: the problem document when the platform sent one, else what is known. */
export class ApiError extends Error {
  constructor(status, problem, response) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || { title: status ? `HTTP ${status}` : 'Network error', status };
    this.response = response;
  }
}

let onUnauthorized = () => {};

/** What to do on a 401 (set once by the app: clear the credential, go to sign-in). */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

/**
 * Sends a request; resolves to {status, headers, body} (body parsed as JSON when it is JSON, text otherwise) for a
 * 2xx or 304, rejects with ApiError otherwise. options: method, body (an object is sent as JSON), headers, raw
 * (resolve with the Response itself, unread), signal.
 */
export async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const cred = credential();
  if (cred) {
    headers.set('Authorization', 'Bearer ' + cred);
  }
  let body = options.body;
  if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Blob)) {
    body = JSON.stringify(body);
  }
  if (body !== undefined && body !== null && !headers.has('Content-Type')) {
    headers.set('Content-Type', 'application/json');
  }
  let response;
  try {
    response = await fetch(path, { method: options.method || 'GET', headers, body, signal: options.signal });
  } catch (e) {
    if (e.name === 'AbortError') {
      throw e;
    }
    throw new ApiError(0, { title: 'Network error', detail: 'The platform did not answer: ' + e.message });
  }
  if (response.status === 401) {
    const problem = await readBody(response).catch(() => null);
    onUnauthorized(problem);
    throw new ApiError(401, typeof problem === 'object' ? problem : null, response);
  }
  if (!response.ok && response.status !== 304) {
    const problem = await readBody(response).catch(() => null);
    throw new ApiError(response.status, typeof problem === 'object' ? problem : { title: `HTTP ${response.status}`,
      status: response.status, detail: problem || undefined }, response);
  }
  if (options.raw) {
    return response;
  }
  const parsed = response.status === 204 || response.status === 304 ? null : await readBody(response);
  return { status: response.status, headers: response.headers, body: parsed };
}

async function readBody(response) {
  const type = response.headers.get('Content-Type') || '';
  const text = await response.text();
  if (type.includes('json') && text.length > 0) {
    return JSON.parse(text);
  }
  return text;
}

/** Shorthands. */
export const get = (path, options) => api(path, options).then(r => r.body);
export const post = (path, body, options = {}) => api(path, { ...options, method: 'POST', body: body === undefined ? {} : body });

/** A path segment, percent-encoded (ids may hold ?, %, # and the like). */
export function seg(value) {
  return encodeURIComponent(value);
}

/** A query string from an object, leaving out empty values. */
export function qs(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') {
      search.set(name, value);
    }
  }
  const text = search.toString();
  return text ? '?' + text : '';
}
