// "People to chat with": the other CometChat users, fetched by the SDK itself (UsersRequest)
// once it is logged in. Names are CometChat data, so they go in with textContent only.

import * as chat from "./chat.js";
import { $ } from "./page.js";

function item(person) {
  const li = document.createElement("li");
  const name = document.createElement("strong");
  name.textContent = person.name;
  const uid = document.createElement("span");
  uid.className = "hint";
  uid.textContent = person.uid;
  const text = document.createElement("div");
  text.append(name, uid);
  li.append(text);
  return li;
}

function note(text, { failed = false } = {}) {
  $("people-note").textContent = text;
  $("people-note").classList.toggle("error-text", failed);
  $("people-note").hidden = !text;
}

/** Show the people `me` (a CometChat uid) can chat with; hidden while the SDK has no user. */
export async function showPeople(me) {
  $("people").hidden = !me;
  $("people-list").replaceChildren();
  if (!me) return;
  note("Loading…");
  try {
    const found = await chat.people(me);
    $("people-list").replaceChildren(...found.map(item));
    note(found.length ? "" : "No one else is here yet. People who sign up show up here.");
  } catch (error) {
    const detail = (error && (error.message || error.code)) || "unknown error";
    note(`The people you can chat with could not be loaded: ${detail}`, { failed: true });
  }
}
