// Signing in with Cognito (USER_PASSWORD_AUTH, straight to Cognito's API; no SDK), keeping the session in
// sessionStorage only: it is gone when the tab closes, never in a cookie, and never sent anywhere but the API.
const KEY = "console.session";
let config = null;
let expiryTimer = null;
const listeners = new Set();

/** The API's sign-in settings (GET /v1/config), fetched once. */
export async function signInConfig() {
  if (!config) {
    const response = await fetch("/v1/config", { credentials: "omit", cache: "no-store" });
    if (!response.ok) throw new Error("The console could not load its settings; reload the page to try again.");
    config = await response.json();
  }
  return config;
}

function cognitoUrl(settings) {
  return settings.aws_endpoint_url
    ? settings.aws_endpoint_url.replace(/\/?$/, "/")
    : `https://cognito-idp.${settings.region}.amazonaws.com/`;
}

function claims(token) {
  const part = token.split(".")[1] || "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
  return JSON.parse(decodeURIComponent(Array.from(json, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`)
    .join("")));
}

const COGNITO_MESSAGES = {
  NotAuthorizedException: "Wrong e-mail or password.",
  UserNotFoundException: "Wrong e-mail or password.",
  UserNotConfirmedException: "This account is not confirmed yet; confirm your e-mail address first.",
  PasswordResetRequiredException: "Your password must be reset before you can sign in.",
  TooManyRequestsException: "Too many attempts; wait a minute and try again.",
  InvalidParameterException: "Enter your e-mail address and password.",
};

/** Sign in with e-mail and password; resolves to the session or rejects with a message for people. */
export async function signIn(email, password) {
  const settings = await signInConfig();
  let response;
  try {
    response = await fetch(cognitoUrl(settings), {
      method: "POST",
      credentials: "omit",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
      },
      body: JSON.stringify({
        AuthFlow: "USER_PASSWORD_AUTH", ClientId: settings.user_pool_client_id,
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    });
  } catch {
    throw new Error("The sign-in service could not be reached. Check your connection and try again.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = String(data.__type || "").split("#").pop();
    throw new Error(COGNITO_MESSAGES[type] || "Signing in failed; please try again.");
  }
  if (data.ChallengeName) {
    throw new Error("This account must set a new password first; use the mobile app or ask support.");
  }
  const token = data.AuthenticationResult && data.AuthenticationResult.IdToken;
  if (!token) throw new Error("Signing in failed; please try again.");
  const c = claims(token);
  const session = {
    idToken: token, expiresAt: c.exp * 1000, email: c.email || email, sub: c.sub,
    groups: c["cognito:groups"] || [],
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  watchExpiry(session);
  return session;
}

/** The current session, or null when signed out or expired. */
export function currentSession() {
  let session = null;
  try { session = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch { session = null; }
  if (!session || !session.idToken) return null;
  if (session.expiresAt <= Date.now()) {
    expireSession();
    return null;
  }
  watchExpiry(session);
  return session;
}

/** The ID token to send, or null. */
export function currentToken() {
  const session = currentSession();
  return session ? session.idToken : null;
}

/** Sign out: forget the token here (a Cognito ID token cannot be revoked; it lapses at its expiry). */
export function signOut() {
  sessionStorage.removeItem(KEY);
  clearTimeout(expiryTimer);
  expiryTimer = null;
}

/** The session ended by itself (expired or refused): forget it and tell the page. */
export function expireSession() {
  const had = sessionStorage.getItem(KEY) !== null;
  signOut();
  if (had) for (const listener of listeners) listener();
}

/** Call back when the session expires. */
export function onExpiry(listener) {
  listeners.add(listener);
}

function watchExpiry(session) {
  if (expiryTimer) return;
  const wait = Math.min(session.expiresAt - Date.now(), 2 ** 31 - 1);
  expiryTimer = setTimeout(() => { expiryTimer = null; expireSession(); }, Math.max(wait, 0));
}
