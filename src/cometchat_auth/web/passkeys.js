// Passkeys: sign in with one (a discoverable credential, no email typed), and the signed-in
// account's list (add, rename, remove). The browser's WebAuthn JSON helpers do the encoding.

import * as api from "./api.js";
import { explain, handle } from "./forms.js";
import { $, fail, say } from "./page.js";

const supported = () =>
  typeof PublicKeyCredential !== "undefined" &&
  typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";

/** Whether this page may use passkeys: the browser can, and this is the RP ID's origin. */
function usable(config) {
  return supported() && window.location.origin === config.passkeys.origin;
}

/** Offer "Sign in with a passkey", or, on another origin (127.0.0.1), a link to the right one. */
export function offerPasskeys(config, enter) {
  const elsewhere = supported() && !usable(config);
  $("passkey-elsewhere").hidden = !elsewhere;
  if (elsewhere) {
    const link = $("passkey-origin");
    link.href = config.passkeys.origin;
    link.textContent = config.passkeys.origin;
  }
  const button = $("passkey-sign-in");
  button.hidden = !usable(config);
  $("passkeys").hidden = !usable(config);
  button.addEventListener("click", async () => {
    fail("");
    button.disabled = true;
    try {
      const options = await api.passkeyLoginOptions();
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
      const credential = await navigator.credentials.get({ publicKey });
      await enter(await api.passkeyLogin(credential.toJSON()));
    } catch (error) {
      fail(error.name === "NotAllowedError" ? "No passkey was used." : explain(error));
    } finally {
      button.disabled = false;
    }
  });
}

function item(passkey) {
  const text = document.createElement("div");
  const name = document.createElement("strong");
  name.textContent = passkey.name;
  const detail = document.createElement("span");
  detail.className = "hint";
  const used = passkey.lastUsedAt ? new Date(passkey.lastUsedAt).toLocaleString() : "never";
  detail.textContent = `added ${new Date(passkey.createdAt).toLocaleString()} · last used ${used}`;
  text.append(name, detail);

  const rename = document.createElement("form");
  rename.className = "inline";
  rename.setAttribute("aria-label", `Rename ${passkey.name}`);
  const input = document.createElement("input");
  input.name = "name";
  input.value = passkey.name;
  input.required = true;
  input.maxLength = 100;
  input.setAttribute("aria-label", `New name for ${passkey.name}`);
  const save = document.createElement("button");
  save.type = "submit";
  save.textContent = "Rename";
  rename.append(input, save);
  handle(rename, ({ name: newName }) => api.renamePasskey(passkey.id, newName), async () => {
    say("Passkey renamed.");
    await showPasskeys();
  });

  const remove = document.createElement("button");
  remove.type = "button";
  remove.textContent = "Remove";
  remove.setAttribute("aria-label", `Remove ${passkey.name}`);
  remove.addEventListener("click", async () => {
    try {
      await api.removePasskey(passkey.id);
      say(`Removed ${passkey.name}.`);
    } catch (error) {
      fail(explain(error));
    }
    await showPasskeys();
    $("passkeys-title").focus();
  });
  const li = document.createElement("li");
  li.append(text, rename, remove);
  return li;
}

/** Fill the signed-in account's passkey list. */
export async function showPasskeys() {
  if ($("passkeys").hidden) return;
  try {
    const list = await api.passkeys();
    $("passkey-list").replaceChildren(...list.map(item));
  } catch (error) {
    fail(explain(error));
  }
}

async function add() {
  fail("");
  try {
    const options = await api.passkeyOptions();
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
    const credential = await navigator.credentials.create({ publicKey });
    const added = await api.addPasskey(credential.toJSON());
    say(`Added ${added.name}. Next time, sign in with it.`);
    await showPasskeys();
  } catch (error) {
    fail(error.name === "NotAllowedError" ? "No passkey was created." : explain(error));
  }
}

export function handlePasskeySettings() {
  $("passkey-add").addEventListener("click", add);
}
