// What the pages a mail leads to share: the app's name, the link's token, the end of the errand.

import * as api from "./api.js";
import { $, fail, say } from "./page.js";

/**
 * The token the mail's link carries, taken out of the address bar so history does not keep it.
 * Without one, `form` is hidden and `missing` says what to do instead.
 */
export function takeToken(form, missing) {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("token");
  url.searchParams.delete("token");
  history.replaceState(null, "", url.pathname + url.search);
  if (!token) {
    form.hidden = true;
    fail(missing);
  }
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

/** The errand is done: hide its form and say so, with the keyboard on that sentence. */
export function finish(form, text) {
  form.hidden = true;
  say(text);
  $("status").focus(); // the focused button just vanished; keep the keyboard on the page
}
