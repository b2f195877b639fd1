// The verification page: one button sends the mail's token; the server marks the email confirmed.

import * as api from "./api.js";
import { finish, start, takeToken } from "./email-page.js";
import { handle } from "./forms.js";
import { $ } from "./page.js";

const form = $("verify");
const token = takeToken(form, "This page needs the link from your mail: open it again.");
await start();
if (token) {
  handle(
    form,
    () => api.verifyEmail(token),
    (user) => finish(form, `Thank you: ${user.email} is confirmed.`),
  );
}
document.body.dataset.ready = "true";
