// The reset page: the token from the mail's link plus a new password; the server ends every session.

import * as api from "./api.js";
import { finish, start, takeToken } from "./email-page.js";
import { handle } from "./forms.js";
import { $ } from "./page.js";

const form = $("reset");
const missing = "This page needs the link from your mail: open it again, or ask for a new one.";
const token = takeToken(form, missing);
await start();
if (token) {
  const done = "Your new password is set and every session was signed out. Sign in with it now.";
  handle(
    form,
    ({ password }) => api.resetPassword(token, password),
    () => finish(form, done),
  );
}
document.body.dataset.ready = "true";
