// Signing in, and setting a password from a one-time link. Both are drawn without the
// console's frame (nobody is signed in yet).

import { h, notice, failureNotice } from "../lib/dom.js";
import { call } from "../lib/api.js";
import { setFieldError } from "../lib/form.js";
import { takeFlash, say, success } from "../lib/nav.js";

/** The sign-in form; `signedIn(sessionData)` continues once the server accepted it. */
export function signInPage(signedIn) {
  const error = h("div", { "aria-live": "assertive" });
  const email = h("input", { id: "email", type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { id: "password", type: "password", name: "password", autocomplete: "current-password", required: true });
  const shown = takeFlash();
  const form = h("form", {
    class: "card narrow",
    onsubmit: async (e) => {
      e.preventDefault();
      error.replaceChildren();
      try {
        const session = await call("POST", "/console/session", { email: email.value, password: password.value }, { company: false });
        await signedIn(session);
      } catch (err) {
        error.replaceChildren(failureNotice(err));
        password.value = "";
        password.focus();
      }
    },
  },
  h("h1", {}, "Sign in to Latchkey"),
  shown ? notice(shown.kind, shown.message) : null,
  error,
  h("div", { class: "field" }, h("label", { for: "email" }, "Email"), email),
  h("div", { class: "field" }, h("label", { for: "password" }, "Password"), password),
  h("div", { class: "buttons" }, h("button", { type: "submit" }, "Sign in")));
  queueMicrotask(() => email.focus());
  return form;
}

/** The set-password (or reset-password) form of a one-time link; `done()` shows sign-in. */
export function passwordPage(done) {
  const params = new URLSearchParams(location.search);
  const token = params.get("token") || "";
  const purpose = params.get("purpose") === "reset" ? "reset" : "create";
  const result = h("div", { "aria-live": "assertive" });
  const password = h("input", { id: "new-password", type: "password", autocomplete: "new-password", required: true, minLength: 12, maxLength: 128 });
  const confirm = h("input", { id: "confirm-password", type: "password", autocomplete: "new-password", required: true });
  const form = h("form", {
    class: "card narrow",
    onsubmit: async (e) => {
      e.preventDefault();
      result.replaceChildren();
      if (password.value !== confirm.value) {
        setFieldError(confirm, "The passwords do not match");
        confirm.focus();
        return;
      }
      setFieldError(confirm, null);
      try {
        await call("POST", `/console/api/system-users/${purpose}-password`,
          { token, newPassword: password.value, confirmNewPassword: confirm.value }, { company: false });
        // The token is spent; keep it out of the address bar and history.
        history.replaceState(null, "", "/console/");
        say(success("Your password is set. Sign in with it."));
        done();
      } catch (err) {
        result.replaceChildren(failureNotice(err));
      }
    },
  },
  h("h1", {}, purpose === "reset" ? "Reset your password" : "Set your password"),
  result,
  token ? null : notice("error", "This link has no token. Ask for a new one."),
  h("div", { class: "field" }, h("label", { for: "new-password" }, "New password"), password,
    h("p", { class: "hint", id: "password-hint" }, "At least 12 characters.")),
  h("div", { class: "field" }, h("label", { for: "confirm-password" }, "Confirm new password"), confirm),
  h("div", { class: "buttons" }, h("button", { type: "submit", disabled: !token }, "Save password")));
  password.setAttribute("aria-describedby", "password-hint");
  return form;
}
