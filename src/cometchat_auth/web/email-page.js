// What the pages a mail leads to share: the status line, the error line, the link's token, a form.

import * as api from "./api.js";

export const $ = (id) => document.getElementById(id);

export function say(text) {
  $("status").textContent = text;
}

export function fail(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

/** The token the mail's link carries, taken out of the address bar so history does not keep it. */
export function takeToken() {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("token");
  url.searchParams.delete("token");
  history.replaceState(null, "", url.pathname + url.search);
  return token;
}

/** Show the app's name; every page works without it. */
export async function start() {
  try {
    const config = await api.loadConfig();
    $("app-name").textContent = config.appName;
  } catch {
    // The page's own text stands in.
  }
}

/** Run `action` for the form's fields; `done` gets its answer. Errors show the server's sentence. */
export function handle(form, action, done) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    fail("");
    say("Working…");
    button.disabled = true;
    try {
      done(await action(Object.fromEntries(new FormData(form))));
    } catch (error) {
      say("");
      fail(error.message || "Something went wrong. Try again.");
      form.querySelector("input")?.focus();
    } finally {
      button.disabled = false;
    }
  });
}
