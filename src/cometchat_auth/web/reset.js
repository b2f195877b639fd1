// The reset page: the token from the mail's link plus a new password; the server ends every session.

import * as api from "./api.js";
import { $, fail, handle, say, start, takeToken } from "./email-page.js";

const token = takeToken();
await start();
if (!token) {
  $("reset").hidden = true;
  fail("This page needs the link from your mail: open it again, or ask for a new one.");
} else {
  handle(
    $("reset"),
    ({ password }) => api.resetPassword(token, password),
    () => {
      $("reset").hidden = true;
      say("Your new password is set and every session was signed out. Sign in with it now.");
    },
  );
}
document.body.dataset.ready = "true";
