// People, User Roles and My profile in Chromium.
//
// Started by the Rust integration test `the_admin_pages_work_in_chromium`, which runs a fresh
// server with an SMTP sink and prepares, in the administrator's company, temp1@ and
// temp2@latchkey.example (for the bulk delete), and in the customer Northwind Traders a user
// whose custom role "People Viewer" only lets them look at people and roles. It reads the
// mails to the invited user from the sink afterwards. Environment:
//
//   LATCHKEY_BASE_URL       the server
//   LATCHKEY_ADMIN_LINK     set-password link of the platform administrator
//   LATCHKEY_ADMIN_EMAIL    that administrator's email
//   LATCHKEY_INVITED_EMAIL  whom this script invites
//   LATCHKEY_VIEWER_LINK    set-password link of the People Viewer
//   LATCHKEY_VIEWER_EMAIL   that user's email
//   LATCHKEY_ARTIFACTS      directory for screenshots
//
// The steps build on each other and run in order.

import { before, after } from "node:test";
import assert from "node:assert/strict";
import { env, launch, shot as keep, accessible as axe, setPasswordAndSignIn, stepsOn } from "./helpers.mjs";

const adminEmail = env("LATCHKEY_ADMIN_EMAIL");
const invited = env("LATCHKEY_INVITED_EMAIL");
const password = "admin pages passphrase 2026";
const changed = "a changed admin passphrase 2026";

let browser;
let page;

before(async () => {
  ({ browser, page } = await launch());
});

after(async () => {
  await browser?.close();
});

const shot = (name) => keep(page, name);
const accessible = (name) => axe(page, name);

/** A step that leaves a screenshot of where it stopped when it fails. */
const test = stepsOn(() => page);

const flash = (text) => page.getByRole("status").filter({ hasText: text }).waitFor();
const alert = (text) => page.getByRole("alert").filter({ hasText: text }).waitFor();
const userRow = (email) => page.locator(`tr[data-user="${email}"]`);
const roleRow = (name) => page.locator(`tr[data-role="${name}"]`);
const focused = () => page.evaluate(() => document.activeElement && document.activeElement.id);
const settled = () => page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));

async function openPage(name, heading = name) {
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name, exact: true }).click();
  await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
  await settled();
}

/** Presses Tab until the focused element's label reads `label` (at most `limit` presses). */
async function tabToLabel(label, limit = 30) {
  for (let n = 0; n < limit; n += 1) {
    await page.keyboard.press("Tab");
    const text = await page.evaluate(() => {
      const el = document.activeElement;
      return (el && el.labels && el.labels[0] && el.labels[0].textContent.trim()) || (el && el.textContent.trim()) || "";
    });
    if (text === label) return;
  }
  assert.fail(`"${label}" is not reached with the keyboard within ${limit} presses`);
}

/** The state of a group's select-all box: "checked", "unchecked" or "mixed". */
const groupState = (group) => page.locator(`fieldset[data-group="${group}"] input.group-all`).evaluate((box) => {
  if (box.indeterminate) return "mixed";
  return box.checked ? "checked" : "unchecked";
});

test("the administrator signs in and finds People, User Roles and My profile", async () => {
  await setPasswordAndSignIn(page, env("LATCHKEY_ADMIN_LINK"), adminEmail, password);
  const nav = page.getByRole("navigation", { name: "Console" });
  for (const name of ["People", "User Roles"]) {
    assert.equal(await nav.getByRole("link", { name, exact: true }).count(), 1, `${name} is in the navigation`);
  }
  assert.equal(await page.getByRole("banner").getByRole("link", { name: "My profile" }).count(), 1, "My profile is in the header");
});

test("User Roles: a custom role is created from the permission tree, made available for a customer, and edited", async () => {
  await openPage("User Roles");
  await roleRow("Company Admin").waitFor();
  assert.equal(await roleRow("Company Admin").getByRole("link", { name: "Edit Company Admin" }).count(), 0, "a built-in role has no Edit");
  assert.equal(await roleRow("Company Admin").getByRole("button", { name: "Delete Company Admin" }).count(), 0, "nor Delete");
  await accessible("roles-list");
  await shot("70-roles-list");

  await page.getByRole("link", { name: "+ NEW" }).click();
  await page.getByRole("heading", { name: "New role", level: 1 }).waitFor();
  assert.equal(await focused(), "role-name", "the form starts at the name");
  // Nothing typed: both required fields are marked at once.
  await page.getByRole("button", { name: "Create" }).click();
  await page.locator("#role-name-error").waitFor();
  await page.locator("#role-description-error").waitFor();
  await page.getByLabel("Role Name").fill("Help Desk");
  await page.getByLabel("Description").fill("Answers the people's questions");

  // Select all of a group, then take one back: the group's box says "some".
  const group = page.locator('fieldset[data-group="SystemUser"]');
  assert.equal(await groupState("SystemUser"), "unchecked");
  await group.getByLabel("All SystemUser permissions").check();
  assert.equal(await groupState("SystemUser"), "checked");
  const total = await group.locator("ul.permission-list input").count();
  assert.ok(total > 3, `the group has its permissions (${total})`);
  assert.equal(await group.locator("ul.permission-list input:checked").count(), total, "select-all picks every one");
  await group.getByRole("button", { name: "Show the SystemUser permissions" }).click();
  assert.equal(await group.getByRole("button", { name: "Hide the SystemUser permissions" }).getAttribute("aria-expanded"), "true");
  await group.getByLabel(/system-users\/bulk-delete\|DELETE/).uncheck();
  assert.equal(await groupState("SystemUser"), "mixed");
  assert.match(await group.innerText(), new RegExp(`${total - 1} of ${total} selected`));
  // One more from another group.
  const roles = page.locator('fieldset[data-group="Role"]');
  await roles.getByRole("button", { name: "Show the Role permissions" }).click();
  await roles.getByLabel(/roles\/search\|POST/).check();
  assert.equal(await groupState("Role"), "mixed");

  // Made available for a company this reseller manages.
  await page.getByLabel("Find a company or group").fill("North");
  await page.getByRole("button", { name: "Find", exact: true }).click();
  await page.getByRole("button", { name: "Add Northwind Traders (company)" }).click();
  await page.getByRole("list", { name: "Available for" }).getByText("Northwind Traders (company)").waitFor();
  await accessible("role-new");
  await shot("71-role-form");
  // For the README: the form down to the open SystemUser group.
  const bottom = await group.evaluate((el) => el.getBoundingClientRect().bottom + window.scrollY + 16);
  await page.screenshot({ path: `${env("LATCHKEY_ARTIFACTS")}/role-form-top.png`, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.ceil(bottom) } });

  await page.getByRole("button", { name: "Create" }).click();
  await flash('Role "Help Desk" was created.');
  await roleRow("Help Desk").waitFor();
  assert.match(await roleRow("Help Desk").innerText(), /Custom/);

  await roleRow("Help Desk").getByRole("link", { name: "Edit Help Desk" }).click();
  await page.getByRole("heading", { name: "Edit role Help Desk", level: 1 }).waitFor();
  assert.equal(await groupState("SystemUser"), "mixed", "the saved permissions are shown");
  assert.equal(await groupState("Role"), "mixed");
  assert.equal(await page.locator('fieldset[data-group="SystemUser"] ul.permission-list input:checked').count(), total - 1);
  await page.getByRole("list", { name: "Available for" }).getByText("Northwind Traders (company)").waitFor();
  await page.getByLabel("Description").fill("Answers questions and resets passwords");
  await accessible("role-edit");
  await page.getByRole("button", { name: "Save" }).click();
  await flash('Role "Help Desk" was saved.');
  assert.match(await roleRow("Help Desk").innerText(), /Answers questions and resets passwords/);
});

test("User Roles: a built-in role opens read-only", async () => {
  await roleRow("Company Admin").getByRole("link", { name: "Company Admin" }).click();
  await page.getByRole("heading", { name: "Role Company Admin", level: 1 }).waitFor();
  await page.getByText("This is a built-in role: it cannot be changed or deleted.").waitFor();
  assert.equal(await page.getByRole("button", { name: "Save" }).count(), 0);
  assert.equal(await page.getByRole("button", { name: "Delete" }).count(), 0);
  assert.equal(await page.locator("#role-permissions input:not([disabled])").count(), 0, "every box is read-only");
  assert.ok(await page.locator("#role-permissions input:checked").count() > 0, "what it grants is shown");
  await accessible("role-built-in");
  await page.getByRole("link", { name: "Back" }).click();
  await page.getByRole("heading", { name: "User Roles", level: 1 }).waitFor();
});

test("People: a user is invited from the keyboard (a refused phone number shown at its field)", async () => {
  await openPage("People");
  await userRow(adminEmail).waitFor();
  const self = userRow(adminEmail);
  assert.equal(await self.getByRole("button", { name: `Delete ${adminEmail}` }).count(), 0, "nobody is offered to delete themselves");
  assert.equal(await self.getByRole("button", { name: `Deactivate ${adminEmail}` }).count(), 0);
  await accessible("people-list");
  await shot("72-people-list");

  await page.getByRole("link", { name: "+ INVITE" }).click();
  await page.getByRole("heading", { name: "Invite a user", level: 1 }).waitFor();
  assert.equal(await focused(), "system-user-firstName", "the form starts at the first name");
  await page.keyboard.type("Nora");
  await page.keyboard.press("Tab");
  await page.keyboard.type("Hire");
  await page.keyboard.press("Tab");
  await page.keyboard.type(invited);
  await page.keyboard.press("Tab");
  await page.keyboard.type("call me");
  await tabToLabel("Help Desk");
  await page.keyboard.press("Space");
  assert.equal(await page.getByLabel("Help Desk").isChecked(), true);
  await tabToLabel("Send invitation");
  await page.keyboard.press("Enter");
  await page.locator("#system-user-phoneNumber-error").waitFor();
  assert.match(await page.locator("#system-user-phoneNumber-error").innerText(), /may contain only digits/);
  assert.equal(await focused(), "system-user-phoneNumber", "the focus goes to the refused field");
  await accessible("people-invite-refused");
  await shot("73-people-invite");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("+1 555 0142");
  await page.keyboard.press("Enter");
  await flash(`The user was created and a link to set a password was sent to ${invited}`);
  await userRow(invited).waitFor();
  const cells = await userRow(invited).innerText();
  assert.match(cells, /Nora Hire/);
  assert.match(cells, /Help Desk/);
  assert.match(cells, /Active/);
});

test("People: the invited user is edited, deactivated, found by status and activated", async () => {
  await userRow(invited).getByRole("link", { name: `Edit ${invited}` }).click();
  await page.getByRole("heading", { name: `Edit ${invited}`, level: 1 }).waitFor();
  assert.equal(await page.getByLabel("Phone Number").inputValue(), "+1 555 0142");
  await page.getByLabel("Last Name").fill("Hired");
  await page.getByRole("button", { name: "Save" }).click();
  await flash(`User ${invited} was saved.`);
  assert.match(await userRow(invited).innerText(), /Nora Hired/);

  await userRow(invited).getByRole("button", { name: `Deactivate ${invited}` }).click();
  await flash(`${invited} was deactivated.`);
  assert.match(await userRow(invited).innerText(), /Inactive/);
  await page.getByLabel("Status").selectOption("0");
  await page.getByText("Page 1 of 1 · 1 users").waitFor();
  assert.equal(await page.locator("tbody tr").count(), 1);
  await userRow(invited).waitFor();
  await page.getByLabel("Status").selectOption("");
  await userRow(adminEmail).waitFor();
  await userRow(invited).getByRole("button", { name: `Activate ${invited}` }).click();
  await flash(`${invited} was activated.`);
  assert.match(await userRow(invited).innerText(), /Active/);
});

test("People: a role is added and taken away, and a reset link is sent", async () => {
  await userRow(invited).getByRole("link", { name: "Nora Hired" }).click();
  await page.getByRole("heading", { name: `Edit ${invited}`, level: 1 }).waitFor();
  const held = page.locator("ul.held-roles");
  await held.locator('li[data-role="Help Desk"]').waitFor();
  await page.getByLabel("Add a role").selectOption({ label: "Company Admin" });
  await page.getByRole("button", { name: "Add role" }).click();
  await flash(`The role Company Admin was given to ${invited}.`);
  await held.locator('li[data-role="Company Admin"]').waitFor();
  assert.equal(await page.getByLabel("Add a role").locator("option", { hasText: "Company Admin" }).count(), 0, "a held role is not offered again");
  await accessible("people-user");
  await shot("74-people-user");
  await page.getByRole("button", { name: "Remove the role Company Admin" }).click();
  await flash(`The role Company Admin was taken from ${invited}.`);
  await held.locator('li[data-role="Company Admin"]').waitFor({ state: "detached" });
  await held.locator('li[data-role="Help Desk"]').waitFor();

  await page.getByRole("button", { name: "Send reset link" }).click();
  await flash(`A link to reset the password was sent to ${invited}`);
});

test("User Roles: a role in use is not deleted (the API says by whom); an unused one is", async () => {
  await openPage("User Roles");
  await roleRow("Help Desk").getByRole("button", { name: "Delete Help Desk" }).click();
  await page.getByRole("dialog", { name: "Delete role?" }).getByRole("button", { name: "Delete" }).click();
  await alert("The role is assigned to 1 user(s)");
  await roleRow("Help Desk").waitFor();
  await shot("75-role-in-use");

  await page.getByRole("link", { name: "+ NEW" }).click();
  await page.getByRole("heading", { name: "New role", level: 1 }).waitFor();
  await page.getByLabel("Role Name").fill("Unused role");
  await page.getByLabel("Description").fill("Held by nobody");
  await page.getByRole("button", { name: "Create" }).click();
  await flash('Role "Unused role" was created.');
  await roleRow("Unused role").getByRole("link", { name: "Edit Unused role" }).click();
  await page.getByRole("heading", { name: "Edit role Unused role", level: 1 }).waitFor();
  await page.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete role?" });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await page.getByRole("heading", { name: "Edit role Unused role" }).count(), 1, "cancel keeps it");
  await page.getByRole("button", { name: "Delete" }).click();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await flash('Role "Unused role" was deleted.');
  await roleRow("Help Desk").waitFor();
  assert.equal(await roleRow("Unused role").count(), 0);
});

test("People: two users are deleted together after confirmation, then the invited one alone", async () => {
  await openPage("People");
  await page.getByLabel("Search people").fill("Worker");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText("Page 1 of 1 · 2 users").waitFor();
  await userRow("temp1@latchkey.example").waitFor();
  await userRow("temp2@latchkey.example").waitFor();
  const remove = page.getByRole("button", { name: /^Delete selected/ });
  assert.equal(await remove.isDisabled(), true, "nothing selected, nothing to delete");
  await page.getByLabel("Select temp1@latchkey.example").check();
  await page.getByLabel("Select temp2@latchkey.example").check();
  await page.getByRole("button", { name: "Delete selected (2)" }).click();
  const many = page.getByRole("dialog", { name: "Delete 2 users?" });
  await many.getByRole("button", { name: "Cancel" }).click();
  await userRow("temp1@latchkey.example").waitFor();
  await page.getByRole("button", { name: "Delete selected (2)" }).click();
  await many.getByRole("button", { name: "Delete" }).click();
  await flash("2 users were deleted.");
  await page.getByRole("button", { name: "Search" }).click();
  await userRow(invited).waitFor();
  assert.equal(await userRow("temp1@latchkey.example").count(), 0);
  assert.equal(await userRow("temp2@latchkey.example").count(), 0);

  await userRow(invited).getByRole("button", { name: `Delete ${invited}` }).click();
  await page.getByRole("dialog", { name: "Delete user?" }).getByRole("button", { name: "Delete" }).click();
  await flash(`User ${invited} was deleted.`);
  await userRow(adminEmail).waitFor();
  assert.equal(await userRow(invited).count(), 0);
});

test("My profile: a wrong current password is refused at its field; the new one is then used to sign in", async () => {
  await page.getByRole("banner").getByRole("link", { name: "My profile" }).click();
  await page.getByRole("heading", { name: "My profile", level: 1 }).waitFor();
  await page.getByLabel("Current password").fill("not my password at all");
  await page.getByLabel("New password", { exact: true }).fill(changed);
  await page.getByLabel("Confirm new password").fill(changed);
  await page.getByRole("button", { name: "Change password" }).click();
  await page.locator("#current-password-error").waitFor();
  assert.match(await page.locator("#current-password-error").innerText(), /The current password is incorrect/);
  assert.equal(await page.getByLabel("Current password").getAttribute("aria-invalid"), "true");
  assert.equal(await focused(), "current-password");
  await accessible("profile-refused");

  await page.getByLabel("Current password").fill(password);
  await page.getByRole("button", { name: "Change password" }).click();
  await flash("Your password was changed.");
  assert.equal(await page.locator("#current-password-error").count(), 0, "the old error is gone");

  // Display settings: a date format is kept for this user.
  const dateFormat = page.getByLabel("Date format");
  const options = await dateFormat.locator("option").evaluateAll((o) => o.map((x) => x.value).filter(Boolean));
  assert.ok(options.length > 0, "the date formats are offered");
  await dateFormat.selectOption(options[options.length - 1]);
  await page.getByRole("button", { name: "Save settings" }).click();
  await flash("Your settings were saved.");
  await accessible("profile");
  await shot("76-profile");
  await page.reload();
  await page.getByRole("heading", { name: "My profile", level: 1 }).waitFor();
  assert.equal(await page.getByLabel("Date format").inputValue(), options[options.length - 1], "the setting is kept");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("You have signed out.").waitFor();
  await page.getByLabel("Email").fill(adminEmail);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").getByText("The email or password is incorrect").waitFor();
  await page.getByLabel("Password", { exact: true }).fill(changed);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("You have signed out.").waitFor();
});

test("a user who may only look is offered nothing to change people or roles with", async () => {
  await setPasswordAndSignIn(page, env("LATCHKEY_VIEWER_LINK"), env("LATCHKEY_VIEWER_EMAIL"), "viewer passphrase 2026");
  await openPage("People");
  const viewer = env("LATCHKEY_VIEWER_EMAIL");
  await userRow(viewer).waitFor();
  assert.equal(await page.getByRole("link", { name: "+ INVITE" }).count(), 0, "no invite");
  assert.equal(await page.getByRole("button", { name: /^Delete selected/ }).count(), 0, "no bulk delete");
  assert.equal(await page.locator("tbody input[type=checkbox]").count(), 0, "no selection");
  assert.equal(await userRow(viewer).getByRole("button").count(), 0, "no action on a row");
  assert.equal(await userRow(viewer).getByRole("link", { name: /^Edit / }).count(), 0, "no Edit");
  await accessible("people-viewer");
  await shot("77-people-viewer");

  await userRow(viewer).getByRole("link", { name: "Vera Viewer" }).click();
  await page.getByRole("heading", { name: `User ${viewer}`, level: 1 }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Save" }).count(), 0);
  assert.equal(await page.getByLabel("Add a role").count(), 0, "no adding roles");
  assert.equal(await page.getByRole("button", { name: /^Remove the role/ }).count(), 0, "no taking roles");
  assert.equal(await page.getByRole("button", { name: "Send reset link" }).count(), 0);
  assert.equal(await page.getByLabel("First Name").getAttribute("readonly"), "", "the details are read-only");
  await accessible("people-viewer-user");

  await openPage("User Roles");
  await roleRow("People Viewer").waitFor();
  assert.equal(await page.getByRole("link", { name: "+ NEW" }).count(), 0, "no new role");
  assert.equal(await page.getByRole("link", { name: /^Edit / }).count(), 0, "no Edit");
  assert.equal(await page.getByRole("button", { name: /^Delete / }).count(), 0, "no Delete");
  await roleRow("People Viewer").getByRole("link", { name: "People Viewer" }).click();
  await page.getByRole("heading", { name: "Role People Viewer", level: 1 }).waitFor();
  await page.getByText("Your roles do not let you change roles.").waitFor();
  assert.equal(await page.getByRole("button", { name: "Save" }).count(), 0);
  assert.equal(await page.locator("#role-permissions input:not([disabled])").count(), 0);
  assert.equal(await page.locator("#available-for").count(), 0, "not a reseller: no sharing");
  await accessible("role-viewer");

  // Nor are the invite and new-role forms reachable by their addresses.
  await page.goto(`${env("LATCHKEY_BASE_URL")}/console/#/system-users/new`);
  await alert("Your roles do not let you invite users.");
  assert.equal(await page.getByRole("heading", { name: "Invite a user" }).count(), 0);
  await page.goto(`${env("LATCHKEY_BASE_URL")}/console/#/roles/new`);
  await alert("Your roles do not let you create roles.");
  assert.equal(await page.getByRole("heading", { name: "New role" }).count(), 0);
});
