// "Forgot password?": the same answer whether or not the address has an account.

import * as api from "./api.js";
import { finish, start } from "./email-page.js";
import { handle } from "./forms.js";
import { $, offerLocalMail } from "./page.js";

await start();
handle(
  $("forgot"),
  ({ email }) => api.forgotPassword(email),
  () =>
    finish(
      $("forgot"),
      "If an account uses this address, a mail with a link is on its way. " +
        "The link works for a short while.",
    ),
);
offerLocalMail(); // then the mail is one click away
document.body.dataset.ready = "true";
