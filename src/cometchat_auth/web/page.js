// What every page shares: `$`, the status line (polite, for progress) and the error line (an
// alert), and the local-mailbox notice. Texts go in with textContent, never innerHTML.

import * as api from "./api.js";

export const $ = (id) => document.getElementById(id);

export function say(text) {
  $("status").textContent = text;
}

export function fail(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

/** Reveal `#local-mail` when the local mailbox exists: local mode with no SMTP server. */
export function offerLocalMail() {
  api.localMail().then(
    () => ($("local-mail").hidden = false),
    () => {},
  );
}
