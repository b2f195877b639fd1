// The local mailbox: the mails the server wrote instead of sending, newest first.

import * as api from "./api.js";
import { $, fail } from "./page.js";

try {
  const { mails } = await api.localMail();
  $("empty").hidden = mails.length > 0;
  for (const mail of mails) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/dev/mail/${encodeURIComponent(mail.name)}`;
    link.textContent = mail.subject;
    const meta = document.createElement("span");
    meta.className = "hint";
    meta.textContent = `To ${mail.to}, ${mail.date}`;
    item.append(link, meta);
    $("mails").append(item);
  }
} catch (error) {
  fail(error.message);
}
document.body.dataset.ready = "true";
