// My profile (from the header): the signed-in user changes their password, and picks the time
// zone, date and time formats the platform shows them (the settings `system-users/settings`
// keeps for a user; an unset one follows the company's).
//
// Changing the password asks for the current one; the API's answer is shown at the field it
// is about (a wrong current password at that field, a weak new one at the new one).

import { h, notice } from "../lib/dom.js";
import { api, can, context } from "../lib/api.js";
import { field, onSubmit } from "../lib/form.js";
import { clearFlash } from "../lib/nav.js";

export async function page(root) {
  root.append(h("h1", {}, "My profile"),
    h("p", { class: "hint" }, `Signed in to ${context.session.companyName}.`));
  if (can("system-users/change-password|PUT")) root.append(passwordSection());
  if (can("system-users/settings|GET")) root.append(await settingsSection());
  if (!can("system-users/change-password|PUT") && !can("system-users/settings|GET")) {
    root.append(notice("info", "Your roles do not let you change your password or settings here. Ask an administrator for a reset link."));
  }
}

function passwordSection() {
  const errors = h("div", { "aria-live": "assertive" });
  const done = h("div", { "aria-live": "polite" });
  const input = (id, autocomplete) => h("input", { id, type: "password", autocomplete, required: true, maxLength: 128 });
  const current = input("current-password", "current-password");
  const fresh = input("new-password", "new-password");
  const again = input("confirm-new-password", "new-password");
  const form = h("form", { class: "card", id: "change-password" },
    errors,
    done,
    field("Current password", current),
    field("New password", fresh, { hint: "At least 12 characters, not your email address." }),
    field("Confirm new password", again),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Change password")));
  onSubmit(form, {
    errors,
    // The confirmation first: "The new password and its confirmation do not match" names both.
    fields: () => [
      { input: again, names: ["confirmNewPassword", "confirmation"] },
      { input: current, names: ["currentPassword", "current password"] },
      { input: fresh, names: ["newPassword", "new password", "password"] },
    ],
    check: () => {
      done.replaceChildren();
      const problems = [];
      if (!current.value) problems.push({ input: current, message: "Enter your current password" });
      if (!fresh.value) problems.push({ input: fresh, message: "Enter a new password" });
      else if (again.value !== fresh.value) problems.push({ input: again, message: "The new password and its confirmation do not match" });
      return problems;
    },
    submit: async () => {
      await api.put("/system-users/change-password",
        { currentPassword: current.value, newPassword: fresh.value, confirmNewPassword: again.value }, { company: false });
      for (const el of [current, fresh, again]) el.value = "";
      done.replaceChildren(notice("success", "Your password was changed. Use the new one the next time you sign in."));
    },
  });
  return h("section", { class: "section", "aria-labelledby": "password-title" },
    h("h2", { id: "password-title" }, "Change password"), form);
}

async function settingsSection() {
  const [mine, reference] = await Promise.all([
    api.get("/system-users/settings", { company: false }),
    api.get("/timezone/timezones").catch(() => null),
  ]);
  const companyDefault = h("option", { value: "" }, "The company's");
  const select = (id, options, value) => h("select", { id },
    companyDefault.cloneNode(true),
    options.map((o) => h("option", { value: o.value, selected: o.value === value }, o.label)));
  const zones = ((reference && reference.timeZoneList) || []).map((z) => ({ value: z.id, label: z.displayName }));
  const asChoices = (list) => (list || []).map((f) => ({ value: f, label: f }));
  const zone = select("settings-time-zone", zones, mine.timeZoneId);
  const dateFormat = select("settings-date-format", asChoices(reference && reference.dateFormatList), mine.dateFormat);
  const timeFormat = select("settings-time-format", asChoices(reference && reference.timeFormatList), mine.timeFormat);
  const errors = h("div", { "aria-live": "assertive" });
  const done = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card", id: "user-settings" },
    errors,
    done,
    field("Time zone", zone),
    field("Date format", dateFormat),
    field("Time format", timeFormat),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Save settings")));
  onSubmit(form, {
    errors,
    fields: () => [
      { input: zone, names: ["timeZoneId", "time zone"] },
      { input: dateFormat, names: ["dateFormat"] },
      { input: timeFormat, names: ["timeFormat"] },
    ],
    submit: async () => {
      done.replaceChildren();
      clearFlash();
      await api.put("/system-users/settings",
        { timeZoneId: zone.value || null, dateFormat: dateFormat.value || null, timeFormat: timeFormat.value || null }, { company: false });
      done.replaceChildren(notice("success", "Your settings were saved."));
    },
  });
  return h("section", { class: "section", "aria-labelledby": "settings-title" },
    h("h2", { id: "settings-title" }, "Display settings"),
    h("p", { class: "hint" }, "How dates and times are shown to you. Left empty, a setting follows your company's."),
    form);
}
