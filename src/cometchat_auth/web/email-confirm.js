// The email change page: one button sends the mail's token; the server moves the account to the
// address the mail went to.

import * as api from "./api.js";
import { finish, start, takeToken } from "./email-page.js";
import { handle } from "./forms.js";
import { $ } from "./page.js";

const form = $("confirm-email");
const token = takeToken(form, "This page needs the link from your mail: open it again.");
await start();
if (token) {
  handle(
    form,
    () => api.confirmEmailChange(token),
    (user) => finish(form, `Done: your account's email is now ${user.email}.`),
  );
}
document.body.dataset.ready = "true";
