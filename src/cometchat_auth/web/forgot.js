// "Forgot password?": the same answer whether or not the address has an account.

import * as api from "./api.js";
import { $, handle, say, start } from "./email-page.js";

await start();
handle(
  $("forgot"),
  ({ email }) => api.forgotPassword(email),
  () => {
    $("forgot").hidden = true;
    say("If an account uses this address, a mail with a link is on its way. The link works for a short while.");
  },
);
// The local mailbox exists only in local mode with no SMTP server: then point there.
api.localMail().then(
  () => ($("local-mail").hidden = false),
  () => {},
);
document.body.dataset.ready = "true";
