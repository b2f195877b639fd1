// Our auth server's API. The bearer transport keeps tokens in this module's memory only (never
// localStorage, where any injected script could read them); the cookie transport leaves them in
// HttpOnly cookies the page cannot see at all.

/** An error answer from the server: `code` is what the page branches on. */
export class ApiError extends Error {
  constructor(status, code, message, details, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

let transport = "cookie";
let tokens = null; // bearer transport only: {accessToken, refreshToken}

export function useTransport(name) {
  transport = name;
  tokens = null;
}

function keep(body) {
  if (transport === "bearer" && body && body.accessToken) {
    tokens = { accessToken: body.accessToken, refreshToken: body.refreshToken };
  }
  return body;
}

// The cookie transport's CSRF check: a state-changing call echoes the one cookie that page
// scripts may read (`cca_csrf`, `__Host-` prefixed over HTTPS) in a header.
function csrfToken() {
  for (const pair of document.cookie.split("; ")) {
    const [name, value] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
    if (name === "cca_csrf" || name === "__Host-cca_csrf") return decodeURIComponent(value);
  }
  return null;
}

async function send(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (tokens) headers.Authorization = `Bearer ${tokens.accessToken}`;
  const csrf = transport === "cookie" && method !== "GET" ? csrfToken() : null;
  if (csrf) headers["X-CSRF-Token"] = csrf;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    const message = "The server cannot be reached. Check your connection and try again.";
    throw new ApiError(0, "NETWORK_ERROR", message);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  const error = (data && data.error) || {};
  const retryAfter = Number.parseInt(response.headers.get("Retry-After") || "", 10);
  throw new ApiError(
    response.status,
    error.code || `HTTP_${response.status}`,
    error.message || `The server answered ${response.status}.`,
    error.details,
    Number.isFinite(retryAfter) ? retryAfter : null,
  );
}

// A session call that got 401 may only have an expired access token: refresh once, then retry.
async function authed(method, path, body) {
  try {
    return await send(method, path, body);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401 || !(await refresh())) throw error;
    return send(method, path, body);
  }
}

// Calls that get 401 together share one refresh: a second refresh with the same refresh token
// would be taken for a stolen copy and end the session.
let refreshing = null;

function refresh() {
  refreshing ??= renew().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function renew() {
  if (transport === "bearer" && !tokens) return false;
  const body = transport === "bearer" ? { refreshToken: tokens.refreshToken } : undefined;
  tokens = null; // sent without the expired access token; a failed refresh leaves none behind
  try {
    keep(await send("POST", "/auth/refresh", body));
    return true;
  } catch {
    return false;
  }
}

export const register = async (name, email, password) =>
  keep(await send("POST", "/auth/register", { name, email, password }));

export const login = async (email, password) =>
  keep(await send("POST", "/auth/login", { email, password }));

export const verifyMfa = async (mfaToken, code) =>
  keep(await send("POST", "/auth/mfa/verify", { mfaToken, code }));

export const passkeyLoginOptions = () => send("POST", "/auth/passkey/options");

export const passkeyLogin = async (credential) =>
  keep(await send("POST", "/auth/passkey/login", { credential }));

export const passkeyOptions = () => authed("POST", "/auth/passkeys/options");

export const addPasskey = (credential) => authed("POST", "/auth/passkeys", { credential });

export const passkeys = () => authed("GET", "/auth/passkeys");

export const renamePasskey = (id, name) =>
  authed("PATCH", `/auth/passkeys/${encodeURIComponent(id)}`, { name });

export const removePasskey = (id) => authed("DELETE", `/auth/passkeys/${encodeURIComponent(id)}`);

export const me = () => authed("GET", "/auth/me");

export const mfaStatus = () => authed("GET", "/auth/mfa");

export const startTotp = () => authed("POST", "/auth/mfa/totp");

export const confirmTotp = (code) => authed("POST", "/auth/mfa/totp/confirm", { code });

export const disableTotp = (password, code) =>
  authed("DELETE", "/auth/mfa/totp", { password, code });

export const sessions = () => authed("GET", "/auth/sessions");

export const endSession = (id) => authed("DELETE", `/auth/sessions/${encodeURIComponent(id)}`);

export const cometchatToken = () => authed("POST", "/cometchat/token");

/** Whether this page may hold a session at all (bearer: only while tokens are in memory). */
export const mayHaveSession = () => transport === "cookie" || tokens !== null;

export async function logout() {
  try {
    await authed("POST", "/auth/logout");
  } finally {
    tokens = null;
  }
}

export async function loadConfig() {
  return send("GET", "/config.json");
}

// The pages a mail leads to (forgot, reset, verify) and the local mailbox of local mode.
export const forgotPassword = (email) => send("POST", "/auth/password/forgot", { email });

export const resetPassword = (token, password) =>
  send("POST", "/auth/password/reset", { token, password });

export const verifyEmail = (token) => send("POST", "/auth/verify", { token });

export const confirmEmailChange = (token) => send("POST", "/auth/email/confirm", { token });

export const changeEmail = (newEmail, password) =>
  authed("POST", "/auth/email", { newEmail, password });

export const localMail = () => send("GET", "/dev/mail/index.json");
