// "Your devices": the account's live sessions, each with a "Sign out" that ends it on the server
// (which deletes that session's CometChat token).

import * as api from "./api.js";
import { explain } from "./forms.js";
import { $, fail, say } from "./page.js";

let signOutHere = () => {}; // the page's own sign-out, for this device's button

const when = (iso) => new Date(iso).toLocaleString();

function item(session) {
  const text = document.createElement("div");
  const name = document.createElement("strong");
  name.textContent = session.device;
  text.append(name);
  if (session.current) {
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = "This device";
    text.append(tag);
  }
  const detail = document.createElement("span");
  detail.className = "hint";
  detail.textContent = `${session.ip || "unknown address"} · last used ${when(session.lastUsedAt)}`;
  text.append(detail);
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Sign out";
  const which = session.current ? `${session.device} (this device)` : session.device;
  button.setAttribute("aria-label", `Sign out ${which}`);
  button.addEventListener("click", () =>
    session.current ? signOutHere() : signOutOther(session, button),
  );
  const li = document.createElement("li");
  li.append(text, button);
  return li;
}

async function signOutOther(session, button) {
  button.disabled = true;
  fail("");
  try {
    await api.endSession(session.id);
    say(`Signed out ${session.device}.`);
  } catch (error) {
    fail(explain(error));
  }
  await showDevices(signOutHere);
  $("devices-title").focus(); // the button is gone: keep the keyboard in the list
}

/** Fill "Your devices"; `onSignOutHere` signs this page out (the current device's button). */
export async function showDevices(onSignOutHere) {
  signOutHere = onSignOutHere;
  try {
    const sessions = await api.sessions();
    $("device-list").replaceChildren(...sessions.map(item));
  } catch (error) {
    fail(explain(error));
  }
}
