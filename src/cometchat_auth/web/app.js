// The demo page: sign up, sign in, sign out, and CometChat.login with the token our server gives.
// Every stored text (names, emails) goes in with textContent, never innerHTML.

import * as api from "./api.js";
import * as chat from "./chat.js";
import { showDevices } from "./devices.js";
import { afterPassword, handleMfaSettings, handleSecondStep, showMfa } from "./mfa.js";
import { handlePasskeySettings, offerPasskeys, showPasskeys } from "./passkeys.js";
import { explain, handle } from "./forms.js";
import { $, fail, offerLocalMail, say } from "./page.js";
import { showPeople } from "./people.js";

let config = null;

// What the SDK said when CometChat.login failed, in words (a local emulator's untrusted certificate
// shows up as a failed fetch).
function explainChat(error) {
  if (error && error.code === "FAILED_TO_FETCH" && config.emulatorOrigin) {
    return (
      "Signed in, but the browser could not reach the CometChat emulator: trust its certificate " +
      "(see Local mode above), then sign out and sign in again."
    );
  }
  const detail = (error && (error.message || error.code)) || "unknown error";
  return `Signed in, but CometChat login failed: ${detail}`;
}

function showForm(id) {
  for (const form of ["sign-in", "sign-up", "mfa-step"]) $(form).hidden = form !== id;
  $(id).querySelector("input").focus();
}

// The certificate step matters until the SDK has reached the emulator; then it is only noise.
function showCertNotice(show) {
  $("cert-notice").hidden = !(show && config.local && config.emulatorOrigin);
}

function showSignedOut() {
  showCertNotice(true);
  $("signed-in").hidden = true;
  $("signed-out").hidden = false;
}

/** Why the SDK holds no user, in words, for the chat line of the signed-in view. */
function notInChat(status) {
  if (!chat.ready()) {
    const why = config.sdk.installed ? "did not start" : "is not installed";
    return `Not signed in to CometChat: the CometChat SDK ${why}.`;
  }
  if (status === "unavailable") {
    return (
      "Not signed in to CometChat yet: CometChat is unavailable right now. " +
      "This page keeps trying."
    );
  }
  if (status === "email_not_verified") {
    return (
      "Not signed in to CometChat: confirm your email address first, " +
      "with the link we mailed you."
    );
  }
  return "Not signed in to CometChat.";
}

async function showSignedIn(user, status, { focus = true } = {}) {
  $("account").textContent = `Your account: ${user.name} <${user.email}>`;
  const chatUser = await chat.loggedInUser();
  $("chat-user").classList.toggle("off", !chatUser);
  showCertNotice(!chatUser && chat.ready() && status === "ready");
  $("chat-user").textContent = chatUser
    ? `Signed in to CometChat as ${chatUser.name} (${chatUser.uid})`
    : notInChat(status);
  $("signed-out").hidden = true;
  $("signed-in").hidden = false;
  await Promise.all([showPeople(chatUser?.uid), showDevices(signOut)]);
  await showMfa().catch((error) => fail(explain(error)));
  await showPasskeys();
  if (focus) $("signed-in-title").focus();
}

let retry = null; // the timer that asks for a CometChat token again while CometChat is out

/** The session's CometChat token, or why there is none yet: `{authToken, status, retryAfter}`. */
async function chatToken() {
  try {
    const { authToken } = await api.cometchatToken();
    return { authToken, status: "ready" };
  } catch (error) {
    if (error.code === "COMETCHAT_UNAVAILABLE") {
      return { authToken: null, status: "unavailable", retryAfter: error.retryAfter };
    }
    if (error.code === "EMAIL_NOT_VERIFIED") {
      // REQUIRE_VERIFIED_EMAIL_FOR_CHAT: the session stands, the chat waits for the email.
      return { authToken: null, status: "email_not_verified" };
    }
    throw error;
  }
}

/**
 * Log the SDK in with our token and show the result. Without a token (CometChat is out) ask again
 * when the server says; an SDK failure leaves the app session usable.
 */
async function enterChat(user, { authToken, status, retryAfter }, { focus = true } = {}) {
  clearTimeout(retry);
  if (authToken && chat.ready()) {
    say("Signing in to CometChat…");
    try {
      await chat.login(authToken);
    } catch (error) {
      fail(explainChat(error));
    }
  }
  const said = $("status").textContent;
  await showSignedIn(user, status, { focus });
  // The lists load after the account shows: what someone did meanwhile keeps its message.
  if ($("status").textContent === said) say(`Signed in as ${user.name}.`);
  if (status === "unavailable" && chat.ready()) {
    retry = setTimeout(() => retryChat(user), (retryAfter || 5) * 1000);
  }
}

async function retryChat(user) {
  try {
    await enterChat(user, await chatToken(), { focus: false });
  } catch (error) {
    // The session itself ended, or the server failed: stop asking.
    fail(explain(error));
    if (error.status === 401) showSignedOut();
  }
}

/** A sign-in or sign-up answer: the session, then CometChat with the token it carries. */
function enter({ user, authToken, cometchat, retryAfter }) {
  return enterChat(user, { authToken, status: cometchat.status, retryAfter });
}

/** A sign-up answer: signed in, or (private mode, 202) a mail to follow before signing in. */
function registered(answer) {
  if (answer.user) return enter(answer);
  showForm("sign-in");
  say("Almost there: check your mail and follow the link in it, then sign in here.");
}

async function signOut() {
  clearTimeout(retry);
  fail("");
  say("Signing out…");
  try {
    await chat.logout(); // while our session (and so its CometChat token) still exists
  } catch {
    // The SDK clears its own state even when CometChat answers with an error.
  }
  try {
    await api.logout(); // ends the session; the server deletes its CometChat token
  } catch (error) {
    if (error.status !== 401) fail(explain(error));
  }
  await chat.restart().catch(() => {}); // the logout may have cleared the SDK's storage
  showSignedOut();
  showForm("sign-in");
  say("Signed out.");
}

// After a reload the cookie transport may still hold a session: pick it up. A page with no session
// also makes sure the SDK holds no user of a session that ended elsewhere.
async function restore() {
  let user = null;
  if (api.mayHaveSession()) {
    try {
      user = await api.me();
    } catch (error) {
      if (error.status !== 401) fail(explain(error));
    }
  }
  if (!user) {
    await chat.logout().catch(() => {});
    showSignedOut();
    return;
  }
  try {
    await enterChat(user, await chatToken());
  } catch (error) {
    fail(explain(error));
    await showSignedIn(user, null);
  }
}

async function main() {
  try {
    config = await api.loadConfig();
  } catch (error) {
    fail(`This page could not load its settings: ${error.message}`);
    return;
  }
  api.useTransport(config.transport);
  $("app-name").textContent = config.appName;
  document.title = config.appName;
  if (config.emulatorOrigin) {
    $("cert-link").href = config.emulatorOrigin;
    $("cert-link").textContent = config.emulatorOrigin;
  }
  offerLocalMail();
  try {
    if (!(await chat.start(config))) $("sdk-missing").hidden = false;
  } catch (error) {
    fail(`The CometChat SDK could not start: ${error.message}`);
  }
  handle(
    $("sign-in"),
    ({ email, password }) => api.login(email, password),
    afterPassword(enter, showForm),
  );
  handleSecondStep(enter);
  offerPasskeys(config, enter);
  handlePasskeySettings();
  handle(
    $("change-email"),
    ({ newEmail, password }) => api.changeEmail(newEmail, password).then(() => newEmail),
    (newEmail) => say(`Almost done: follow the link we mailed to ${newEmail}.`),
  );
  handleMfaSettings((error) => fail(explain(error)));
  handle(
    $("sign-up"),
    ({ name, email, password }) => api.register(name, email, password),
    registered,
  );
  for (const button of document.querySelectorAll("[data-show]")) {
    button.addEventListener("click", () => showForm(button.dataset.show));
  }
  $("sign-out").addEventListener("click", signOut);
  await restore();
  document.body.dataset.ready = "true"; // tells tests (and other scripts) the page has settled
}

main();
