// The v1 API, same-origin: every call carries the signed-in user's ID token, every refusal becomes an ApiError
// with the API's own message.
import { currentToken, expireSession } from "./auth.js";

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

function url(path, query) {
  const u = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") u.searchParams.set(name, String(value));
  }
  return u.pathname + u.search;
}

/** Call the API: api("POST", "/v1/providers", {body}) -> the JSON answer (null for 204). */
export async function api(method, path, { body, query, headers, auth = true } = {}) {
  const sent = { Accept: "application/json", ...(headers || {}) };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (auth) {
    const token = currentToken();
    if (!token) {
      expireSession();
      throw new ApiError(401, "unauthenticated", "Your session has expired. Please sign in again.");
    }
    sent.Authorization = `Bearer ${token}`;
  }
  let response;
  try {
    response = await fetch(url(path, query), {
      method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", "The server could not be reached. Check your connection and try again.");
  }
  if (response.status === 204) return null;
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (response.ok) return data;
  const error = data && data.error ? data.error : {};
  if (response.status === 401 && auth) {
    expireSession();
    throw new ApiError(401, "unauthenticated", "Your session has expired. Please sign in again.", data);
  }
  let message = error.message || `The server answered ${response.status}; please try again.`;
  if (response.status === 503 || error.code === "try_again") {
    const wait = response.headers.get("Retry-After");
    message = `${error.message || "The service is busy."}${wait ? ` Try again in ${wait} s.` : ""}`;
  }
  throw new ApiError(response.status, error.code || "error", message, data);
}
