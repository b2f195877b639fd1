// Two-step sign-in: the second step of a sign-in (a code after the password), and setting an
// authenticator app up or turning it off while signed in.

import * as api from "./api.js";
import { handle } from "./forms.js";
import { $, say } from "./page.js";

let mfaToken = null; // the password step's ticket, until the code is sent

/** A password answer: signed in (`enter` it), or a code to ask for first. */
export function afterPassword(enter, showForm) {
  return (answer) => {
    if (!answer.mfaRequired) return enter(answer);
    mfaToken = answer.mfaToken;
    showForm("mfa-step");
    say("Enter the code from your authenticator app.");
  };
}

/** Wire the second-step form: its code and the ticket sign in, then `enter` the answer. */
export function handleSecondStep(enter) {
  handle($("mfa-step"), ({ code }) => api.verifyMfa(mfaToken, code.trim()), (answer) => {
    mfaToken = null;
    return enter(answer);
  });
}

function showState({ totp, recoveryCodesLeft }) {
  $("mfa-state").textContent = totp
    ? `On: an authenticator app is set up (${recoveryCodesLeft} recovery codes left).`
    : "Off: your password alone signs you in.";
  $("mfa-start").hidden = totp;
  $("mfa-off").hidden = !totp;
}

/** Show whether two-step sign-in is on, with what turns it on or off. */
export async function showMfa() {
  $("mfa-setup").hidden = true;
  $("mfa-recovery").hidden = true;
  showState(await api.mfaStatus());
}

async function start() {
  const { secret, qrSvg } = await api.startTotp();
  // An <img> shows the SVG without running anything in it.
  $("mfa-qr").src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(qrSvg)}`;
  $("mfa-secret").textContent = secret;
  $("mfa-start").hidden = true;
  $("mfa-setup").hidden = false;
  $("mfa-confirm-code").focus();
}

function showRecoveryCodes({ recoveryCodes }) {
  const items = recoveryCodes.map((code) => {
    const li = document.createElement("li");
    li.textContent = code;
    return li;
  });
  $("mfa-recovery-codes").replaceChildren(...items);
  $("mfa-setup").hidden = true;
  $("mfa-recovery").hidden = false;
  say("Two-step sign-in is on.");
}

/** Wire the set-up and turn-off controls; `fail` shows an error in words. */
export function handleMfaSettings(explainFailure) {
  $("mfa-start").addEventListener("click", () => start().catch(explainFailure));
  handle($("mfa-confirm"), ({ code }) => api.confirmTotp(code.trim()), async (answer) => {
    showState(await api.mfaStatus());
    showRecoveryCodes(answer);
    $("mfa-title").focus();
  });
  handle($("mfa-off"), ({ password, code }) => api.disableTotp(password, code.trim()), async () => {
    await showMfa();
    say("Two-step sign-in is off.");
    $("mfa-title").focus();
  });
}
