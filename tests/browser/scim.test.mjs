// The SCIM Settings page in Chromium.
//
// Started by the Rust integration test `the_scim_settings_page_works_in_chromium`, which runs
// a fresh server whose default reseller has a custom field "Cost Center" and a target group
// "Provisioned". Environment:
//
//   LATCHKEY_BASE_URL     the server
//   LATCHKEY_ADMIN_LINK   set-password link of the platform administrator
//   LATCHKEY_ADMIN_EMAIL  that administrator's email
//   LATCHKEY_COMPANY_ID   the company holding the field and the group (the default reseller)
//   LATCHKEY_ARTIFACTS    directory for screenshots
//
// The token the page shows is tried where an identity provider would use it: the SCIM service
// at the base URL. The steps build on each other and run in order.

import { before, after } from "node:test";
import assert from "node:assert/strict";
import { env, launch, shot as keep, accessible as axe, setPasswordAndSignIn, stepsOn } from "./helpers.mjs";

const password = "scim pages passphrase 2026";
const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

let browser;
let page;

before(async () => {
  let context;
  ({ browser, context, page } = await launch());
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: env("LATCHKEY_BASE_URL") });
});

after(async () => {
  await browser?.close();
});

const shot = (name) => keep(page, name);
const accessible = (name) => axe(page, name);

/** A step that leaves a screenshot of where it stopped when it fails. */
const test = stepsOn(() => page);

const flash = (text) => page.getByRole("status").filter({ hasText: text }).waitFor();
const row = (name) => page.locator(`tr[data-scim="${name}"]`);
const focused = () => page.evaluate(() => document.activeElement && document.activeElement.id);

/** What the SCIM service answers `token` for `GET /Users` (or a POST of `user`). */
async function scim(baseUrl, token, user) {
  const response = await fetch(`${baseUrl}/Users`, {
    method: user ? "POST" : "GET",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json" },
    body: user ? JSON.stringify(user) : undefined,
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

async function openPage(name, heading = name) {
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name, exact: true }).click();
  await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
}

/** Presses Tab until the element `id` has the focus, at most `limit` times. */
async function tabTo(id, limit = 15) {
  for (let n = 0; n < limit; n += 1) {
    await page.keyboard.press("Tab");
    if (await focused() === id) return;
  }
  assert.fail(`${id} is not reached with the keyboard within ${limit} presses`);
}

let first = {};

test("the administrator signs in and finds SCIM Settings empty", async () => {
  await setPasswordAndSignIn(page, env("LATCHKEY_ADMIN_LINK"), env("LATCHKEY_ADMIN_EMAIL"), password);
  await page.getByLabel("Company", { exact: true }).selectOption(env("LATCHKEY_COMPANY_ID"));
  await openPage("SCIM Settings");
  await page.getByText("No SCIM integrations yet").waitFor();
  await accessible("scim-empty");
});

test("an integration is created with a mapping, a group and Group By; its token is shown once and works", async () => {
  await page.getByRole("link", { name: "+ NEW" }).click();
  await page.getByRole("heading", { name: "New SCIM integration" }).waitFor();
  assert.equal(await focused(), "scim-name", "the form starts at the name");

  // Checked before anything is sent: a name, and each mapping row complete.
  await page.getByRole("button", { name: "Add Field Mapping" }).click();
  await page.getByRole("button", { name: "Create" }).click();
  await page.locator("#scim-name-error").waitFor();
  assert.match(await page.locator("#scim-name-error").innerText(), /name is required/);
  assert.equal(await page.getByLabel("Identity provider attribute 1").getAttribute("aria-invalid"), "true");

  await page.getByLabel("Integration Name").fill("Entra ID");
  await page.getByLabel("Identity provider attribute 1").selectOption(`${enterprise}:costCenter`);
  await page.getByLabel("Custom field 1").selectOption({ label: "Cost Center" });
  await page.getByLabel("Target Group").selectOption({ label: "Provisioned" });
  // Group By offers the department and the fields just mapped.
  const choices = await page.getByLabel("Group By").locator("option").allInnerTexts();
  assert.deepEqual(choices, ["No Group By", "Department", `Cost Center (${enterprise}:costCenter)`]);
  await page.getByLabel("Group By").selectOption({ label: "Department" });
  await accessible("scim-new");
  await shot("70-scim-new");
  await page.getByRole("button", { name: "Create" }).click();

  await page.getByRole("heading", { name: "Provisioning settings" }).waitFor();
  assert.equal(await focused(), "scim-token", "the focus is on the token to copy");
  const baseUrl = await page.getByLabel("SCIM Base URL", { exact: true }).inputValue();
  const token = await page.getByLabel("Secret Token", { exact: true }).inputValue();
  assert.equal(baseUrl, `${env("LATCHKEY_BASE_URL")}/scim/v2`);
  assert.match(token, /^[A-Za-z0-9]+\.[A-Za-z0-9]{43}$/);
  await page.getByRole("button", { name: "Copy Secret Token" }).click();
  await page.getByText("Secret Token copied to the clipboard.").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
  await page.getByRole("button", { name: "Copy SCIM Base URL" }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), baseUrl);
  await accessible("scim-created");
  await shot("71-scim-token-shown-once");

  // Where the identity provider uses it: a user with a department lands in that group.
  const created = await scim(baseUrl, token, {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", enterprise],
    userName: "ada@example.com",
    emails: [{ value: "ada@example.com", type: "work", primary: true }],
    [enterprise]: { department: "Engineering", costCenter: "CC-1" },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  first = { baseUrl, token };

  await page.getByRole("link", { name: "Done" }).click();
  await row("Entra ID").waitFor();
  const cells = await row("Entra ID").innerText();
  assert.match(cells, /Provisioned/);
  assert.match(cells, /Department/);
  assert.equal(await page.getByText(token).count(), 0, "the token is not shown again");
  await shot("72-scim-list");
});

test("a second integration of the same name is refused with the server's reason", async () => {
  await page.getByRole("link", { name: "+ NEW" }).click();
  await page.getByLabel("Integration Name").fill("entra id");
  await page.getByRole("button", { name: "Create" }).click();
  await page.locator(".notice.error").first().waitFor();
  assert.match(await page.locator("form").innerText(), /exists|already|taken/i);
  assert.equal(await page.getByRole("heading", { name: "Provisioning settings" }).count(), 0);
  await page.getByRole("link", { name: "Cancel" }).click();
  await row("Entra ID").waitFor();
});

test("an integration is created from the keyboard alone", async () => {
  await page.getByRole("link", { name: "+ NEW" }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "New SCIM integration" }).waitFor();
  assert.equal(await focused(), "scim-name");
  await page.keyboard.type("Okta");
  await tabTo("scim-group");
  await page.keyboard.press("ArrowDown");
  const group = await page.locator("#scim-group option:checked").innerText();
  assert.doesNotMatch(group, /^None/, "a group is chosen with the arrow key");
  await tabTo("scim-sync");
  await page.keyboard.press("Space");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Provisioning settings" }).waitFor();
  await page.keyboard.press("Tab");
  await tabTo("scim-done", 5);
  await page.keyboard.press("Enter");
  await row("Okta").waitFor();
  assert.match(await row("Okta").innerText(), new RegExp(group));
});

test("the detail page renames, revokes (the old token stops at once) and deletes", async () => {
  await row("Entra ID").getByRole("link", { name: "Entra ID" }).click();
  await page.getByRole("heading", { name: "Entra ID", level: 1 }).waitFor();
  const facts = await page.locator("dl.facts").innerText();
  assert.match(facts, /Department/);
  assert.match(facts, /costCenter/);
  assert.match(facts, /Cost Center/);
  await accessible("scim-detail");
  await shot("73-scim-detail");

  await page.getByLabel("Integration Name").fill("Entra ID (production)");
  await page.getByRole("button", { name: "Save" }).click();
  await flash('SCIM integration "Entra ID (production)" was saved.');
  await row("Entra ID (production)").getByRole("link").click();
  await page.getByRole("heading", { name: "Entra ID (production)", level: 1 }).waitFor();

  // Revoke asks first; Cancel changes nothing.
  await page.getByRole("button", { name: "Revoke Token" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
  assert.equal((await scim(first.baseUrl, first.token)).status, 200, "the token still works");
  await page.getByRole("button", { name: "Revoke Token" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("heading", { name: "Provisioning settings" }).waitFor();
  const fresh = await page.getByLabel("Secret Token", { exact: true }).inputValue();
  assert.notEqual(fresh, first.token);
  assert.equal((await scim(first.baseUrl, first.token)).status, 401, "the old token is refused");
  const listed = await scim(first.baseUrl, fresh);
  assert.equal(listed.status, 200);
  assert.equal(listed.body.totalResults, 1, "the new token sees the company's provisioned user");
  await accessible("scim-revoked");

  await page.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog");
  assert.match(await dialog.innerText(), /provisioned stay/);
  await dialog.getByRole("button", { name: "Delete" }).click();
  await flash('SCIM integration "Entra ID (production)" was deleted.');
  assert.equal(await row("Entra ID (production)").count(), 0);
  assert.equal((await scim(first.baseUrl, fresh)).status, 401, "a deleted integration's token is refused");
});
