// The official CometChat JS SDK. Its npm bundle is UMD, not an ES module: loaded as a classic
// script it defines `window.CometChat`, so it goes in as a <script src> (fine under
// script-src 'self').

import { routeToThisOrigin } from "./local-chat.js";

let sdk = null;

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.append(script);
  });
}

let started = null; // the config the SDK was started with, for `restart`

/** Load and initialise the SDK; resolves false when it is not installed. */
export async function start(config) {
  if (!config.sdk.installed) return false;
  await loadScript(config.sdk.url);
  if (config.cometchat.clientPath) routeToThisOrigin(config.cometchat.clientPath);
  await init(config);
  started = config;
  return true;
}

/**
 * Initialise the SDK again: a cookie-transport logout's `Clear-Site-Data: "storage"` wipes what
 * init kept in the browser's storage, and the SDK's next login would fail without it.
 */
export async function restart() {
  if (started) await init(started);
}

/** The host the SDK is pointed at: a dedicated one, or (local mode) this page's own origin. */
function clientHost(cometchat) {
  return cometchat.clientPath ? `${location.host}${cometchat.clientPath}/v3.0` : cometchat.clientHost;
}

async function init(config) {
  const { CometChat } = window;
  let builder = new CometChat.AppSettingsBuilder()
    .setRegion(config.cometchat.region)
    .autoEstablishSocketConnection(false); // this demo sends no messages: no websocket needed
  const host = clientHost(config.cometchat);
  if (host) {
    // The emulator (or a dedicated deployment) serves both APIs; the SDK prefixes https:// itself.
    builder = builder.overrideClientHost(host).overrideAdminHost(host);
  }
  await CometChat.init(config.cometchat.appId, builder.build());
  sdk = CometChat;
}

export const ready = () => sdk !== null;

/** The user the SDK itself says is logged in (its own record, not our server's answer). */
export async function loggedInUser() {
  if (!sdk) return null;
  const user = await sdk.getLoggedinUser();
  return user ? { uid: user.getUid(), name: user.getName() } : null;
}

export async function login(authToken) {
  if (sdk) await sdk.login(authToken);
}

export async function logout() {
  if (sdk && (await sdk.getLoggedinUser())) await sdk.logout();
}

/**
 * The people the logged-in user can chat with, through the SDK's own UsersRequest (its client
 * API call, with the SDK's pagination): the first `limit` users other than `me`.
 */
export async function people(me, limit = 30) {
  if (!sdk) return [];
  const request = new sdk.UsersRequestBuilder().setLimit(limit + 1).build();
  const users = await request.fetchNext();
  return users
    .filter((user) => user.getUid() !== me)
    .slice(0, limit)
    .map((user) => ({ uid: user.getUid(), name: user.getName() }));
}
