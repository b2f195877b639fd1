// How every form on these pages submits: busy while it works, and on failure one clear sentence
// plus the keyboard put where the fix is.

import * as api from "./api.js";
import { fail, say } from "./page.js";

/** The form fields a VALIDATION_ERROR names (its details' `loc` ends with the field). */
function invalidFields(error) {
  const details = Array.isArray(error.details) ? error.details : [];
  return details
    .filter((detail) => detail && Array.isArray(detail.loc) && detail.msg)
    .map((detail) => ({ field: String(detail.loc[detail.loc.length - 1]), msg: detail.msg }));
}

/** The field as the form's label names it ("New password"), else as the server does. */
function fieldName(form, field) {
  const input = form?.querySelector(`[name="${CSS.escape(field)}"]`);
  return input?.labels?.[0]?.textContent ?? field;
}

/** One clear sentence per error code a person can hit on these pages, in `form`'s words. */
export function explain(error, form = null) {
  if (!(error instanceof api.ApiError)) return `Something went wrong: ${error.message}`;
  switch (error.code) {
    case "INVALID_CREDENTIALS":
      return "Wrong email or password.";
    case "RATE_LIMITED": {
      if (!error.retryAfter) return "Too many attempts. Wait a little and try again.";
      const unit = error.retryAfter === 1 ? "second" : "seconds";
      return `Too many attempts. Try again in ${error.retryAfter} ${unit}.`;
    }
    case "COMETCHAT_UNAVAILABLE":
      return "CometChat is unavailable right now, so you cannot be signed in. Try again soon.";
    case "MFA_CODE_INVALID":
      return "That code did not work. Check it (each code works once) and try again.";
    case "MFA_TOKEN_INVALID":
      return "This sign-in took too long. Sign in with your password again.";
    case "EMAIL_TAKEN":
      return "An account with this email already exists. Sign in instead.";
    case "VALIDATION_ERROR": {
      const problems = invalidFields(error).map(
        ({ field, msg }) => `${fieldName(form, field)}: ${msg}`,
      );
      return problems.length ? `Please check the form. ${problems.join(". ")}.` : error.message;
    }
    default:
      return error.message || "Something went wrong. Try again.";
  }
}

// Put the keyboard where the fix is: the fields the server named, or the password after a
// wrong one (the email is usually right), else the form's first control.
function focusProblem(form, error) {
  const named = error.code === "VALIDATION_ERROR" ? invalidFields(error) : [];
  const inputs = named.map(({ field }) => form.querySelector(`[name="${CSS.escape(field)}"]`));
  for (const input of inputs) input?.setAttribute("aria-invalid", "true");
  const wrong = error.code === "INVALID_CREDENTIALS";
  const code = error.code === "MFA_CODE_INVALID" ? form.querySelector("[name=code]") : null;
  const password = wrong ? form.querySelector("[name=password]") : null;
  (inputs.find(Boolean) || password || code || form.querySelector("input, button")).focus();
}

/**
 * On submit, send the form's fields with `action` and hand its answer to `done`, with the form
 * busy (button disabled) until both end; the form is cleared after a success.
 */
export function handle(form, action, done) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    fail("");
    for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    say("Working…");
    try {
      const answer = await action(Object.fromEntries(new FormData(form)));
      form.reset();
      await done(answer);
    } catch (error) {
      say("");
      fail(explain(error, form));
      focusProblem(form, error);
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });
}
