/* fetch wrapper for /api/v1: JSON in and out, the CSRF header, errors as ApiError. */

export class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || null;
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

/**
 * Call the API and return the parsed JSON (null for 204).
 * `body` is sent as JSON; `bytes` (with `contentType`) is sent raw, e.g. an audio chunk.
 * Non-2xx answers throw ApiError built from the server's one error shape.
 */
export async function api(path, {
  method = 'GET', body, bytes, contentType, headers: extra = {}, timeout = 15000,
} = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  const headers = { Accept: 'application/json', ...extra };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (bytes !== undefined) headers['Content-Type'] = contentType;
  if (method !== 'GET') headers['X-CSRFToken'] = csrfToken();
  try {
    const response = await fetch(path, {
      method,
      headers,
      body: bytes !== undefined ? bytes : (body === undefined ? undefined : JSON.stringify(body)),
      credentials: 'same-origin',
      signal: controller.signal,
    });
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new ApiError(response.status, error.code || 'error', error.message || response.statusText, error.fields);
    }
    return data;
  } finally {
    clearTimeout(timer);
  }
}
