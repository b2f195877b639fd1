// The official CometChat JS SDK. Its npm bundle is UMD, not an ES module: loaded as a classic
// script it defines `window.CometChat`, so it goes in as a <script src> (fine under
// script-src 'self').

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

async function init(config) {
  const { CometChat } = window;
  let builder = new CometChat.AppSettingsBuilder()
    .setRegion(config.cometchat.region)
    .autoEstablishSocketConnection(false); // this demo sends no messages: no websocket needed
  if (config.cometchat.clientHost) {
    // The emulator (or a dedicated deployment) serves both APIs; the SDK prefixes https:// itself.
    builder = builder
      .overrideClientHost(config.cometchat.clientHost)
      .overrideAdminHost(config.cometchat.clientHost);
  }
  await CometChat.init(config.cometchat.appId, builder.build());
  await settle(CometChat);
  sdk = CometChat;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// With a user cached by an earlier page, init resolves first and the SDK then re-validates that
// user in the background (a logout and a login with the cached token, when the cached app settings
// carry no current APP_VERSION). Our own login or logout must not race it, so wait for it to end.
async function settle(CometChat) {
  await sleep(0); // the background re-login starts in promise callbacks queued by init
  for (let waited = 0; CometChat.loginInProgress && waited < 10_000; waited += 50) await sleep(50);
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
