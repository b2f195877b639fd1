// The verification page: one button sends the mail's token; the server marks the email confirmed.

import * as api from "./api.js";
import { $, fail, handle, say, start, takeToken } from "./email-page.js";

const token = takeToken();
await start();
if (!token) {
  $("verify").hidden = true;
  fail("This page needs the link from your mail: open it again.");
} else {
  handle(
    $("verify"),
    () => api.verifyEmail(token),
    (user) => {
      $("verify").hidden = true;
      say(`Thank you: ${user.email} is confirmed.`);
    },
  );
}
document.body.dataset.ready = "true";
