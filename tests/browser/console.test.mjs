// The console in a real browser: Debian's Chromium, headless, driven by Playwright.
//
// Started by the Rust integration test `console_browser` (crates/cli/tests/api), which runs a
// fresh server on port 0 with a fresh database and passes what it prepared in the environment:
//
//   LATCHKEY_BASE_URL            the server, e.g. http://127.0.0.1:40123
//   LATCHKEY_ADMIN_LINK          set-password link of the platform administrator (bootstrap)
//   LATCHKEY_ADMIN_EMAIL         that administrator's email
//   LATCHKEY_CUSTOMER_ID         a customer company below the default reseller
//   LATCHKEY_CUSTOMER_NAME       its name
//   LATCHKEY_OTHER_ID            another customer company
//   LATCHKEY_COMPANY_ADMIN_LINK  set-password link of a Company Admin of the customer
//   LATCHKEY_COMPANY_ADMIN_EMAIL that user's email
//   LATCHKEY_ARTIFACTS           directory for screenshots
//   CHROMIUM                     the browser binary [/usr/bin/chromium]
//
// The steps build on each other and run in order.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { env, launch, shot as keep, accessible as axe, setPasswordAndSignIn as signInThrough } from "./helpers.mjs";

const run = promisify(execFile);
const base = env("LATCHKEY_BASE_URL");
const password = "correct horse battery staple 42";
const companyAdminPassword = "another long passphrase 2026";

let browser;
let context;
let page;
const client = {};

before(async () => {
  ({ browser, context, page } = await launch());
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
});

after(async () => {
  await browser?.close();
});

const shot = (name) => keep(page, name);
const accessible = (name) => axe(page, name);
const setPasswordAndSignIn = (link, email, secret) => signInThrough(page, link, email, secret);

async function curl(...args) {
  try {
    const { stdout } = await run("curl", ["-sS", "-w", "\n%{http_code}", ...args]);
    const at = stdout.lastIndexOf("\n");
    return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
  } catch (e) {
    throw new Error(`curl failed: ${e.stderr || e.message}`);
  }
}

async function tokenFor(id, secret) {
  return curl("-X", "POST", `${base}/connect/token`,
    "-d", "grant_type=client_credentials", "--data-urlencode", `client_id=${id}`, "--data-urlencode", `client_secret=${secret}`);
}

test("a wrong password is refused and the sign-in page is accessible", async () => {
  await page.goto(`${base}/console/`);
  await page.getByRole("heading", { name: "Sign in to Latchkey" }).waitFor();
  await accessible("sign-in");
  await page.getByLabel("Email").fill(env("LATCHKEY_ADMIN_EMAIL"));
  await page.getByLabel("Password", { exact: true }).fill("not the password at all");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").getByText("The email or password is incorrect").waitFor();
  await shot("01-sign-in-refused");
});

test("the administrator sets a password from the bootstrap link and signs in", async () => {
  await page.goto(env("LATCHKEY_ADMIN_LINK"));
  await page.getByRole("heading", { name: "Set your password" }).waitFor();
  await accessible("set-password");
  await shot("02-set-password");
  await page.goto(env("LATCHKEY_ADMIN_LINK").replace(/token=[^&]*/, "token=made-up"));
  await page.getByLabel("New password", { exact: true }).fill(password);
  await page.getByLabel("Confirm new password").fill(password);
  await page.getByRole("button", { name: "Save password" }).click();
  await page.getByRole("alert").waitFor();
  assert.equal(await page.getByText("Your password is set").count(), 0, "a made-up token sets nothing");
  await setPasswordAndSignIn(env("LATCHKEY_ADMIN_LINK"), env("LATCHKEY_ADMIN_EMAIL"), password);
  const cookies = await context.cookies(`${base}/console/`);
  const session = cookies.find((c) => c.name === "latchkey_session");
  assert.ok(session, "a session cookie is set");
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, "Strict");
  assert.equal(session.path, "/console");
});

test("a reseller switches to a customer and creates a client restricted to two ranges", async () => {
  await page.getByLabel("Company").selectOption(env("LATCHKEY_CUSTOMER_ID"));
  await page.getByRole("heading", { name: "REST API" }).waitFor();
  await page.getByRole("link", { name: "+ NEW" }).click();
  await page.getByRole("heading", { name: "New REST API client" }).waitFor();
  await page.getByLabel("Client Name").fill("SIEM connector");
  await page.getByRole("button", { name: "Generate Client Credentials" }).click();
  await page.getByText("It is shown only this once").waitFor();
  client.id = await page.getByLabel("Client ID").inputValue();
  client.secret = await page.getByLabel("Client Secret").inputValue();
  assert.match(client.id, /^[A-Za-z0-9]{20}$/);
  assert.match(client.secret, /^[A-Za-z0-9]{43}$/);
  await page.getByRole("button", { name: "Copy" }).click();
  await page.getByText("Copied to the clipboard.").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), client.secret);

  await page.getByLabel("Restrict by IP address").check();
  await page.getByLabel("IP address 1", { exact: true }).fill("127.0.0.0/8");
  await page.getByRole("button", { name: "Add IP Address" }).click();
  await page.getByLabel("IP address 2", { exact: true }).fill("2001:db8::/32");
  await page.getByLabel("Company Admin").check();
  await accessible("new-client");
  await shot("03-new-client");
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByText('Client "SIEM connector" was created.').waitFor();
  const row = page.locator(`tr[data-client="${client.id}"]`);
  await row.waitFor();
  assert.equal(await row.locator("td").nth(0).textContent(), "SIEM connector");
  assert.equal(await row.locator("td").nth(2).textContent(), "Active");
  await accessible("rest-api");
  await shot("04-rest-api");

  // The secret is never shown again: not in the list, not in the edit form.
  assert.equal(await page.getByText(client.secret).count(), 0);
  await row.getByRole("link", { name: "Edit SIEM connector" }).click();
  await page.getByRole("heading", { name: "Edit REST API client" }).waitFor();
  assert.equal(await page.getByLabel("Client Secret").inputValue(), "");
  assert.equal(await page.getByLabel("IP address 1", { exact: true }).inputValue(), "127.0.0.0/8");
  assert.equal(await page.getByLabel("IP address 2", { exact: true }).inputValue(), "2001:db8::/32");
  await page.getByRole("link", { name: "Cancel" }).click();
});

test("the new client gets a token with curl and uses it", async () => {
  const issued = await tokenFor(client.id, client.secret);
  assert.equal(issued.status, 200, issued.body);
  client.token = JSON.parse(issued.body).access_token;
  const my = await curl(`${base}/api/companies/my`, "-H", `Authorization: Bearer ${client.token}`);
  assert.equal(my.status, 200, my.body);
  assert.equal(JSON.parse(my.body).data[0].resourceId, env("LATCHKEY_CUSTOMER_ID"));
});

test("deactivating the client in the console refuses its live token", async () => {
  await page.locator(`tr[data-client="${client.id}"]`).getByRole("link", { name: "Edit SIEM connector" }).click();
  await page.getByLabel("Status").selectOption("0");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText('Client "SIEM connector" was saved.').waitFor();
  assert.equal(await page.locator(`tr[data-client="${client.id}"] td`).nth(2).textContent(), "Inactive");
  const my = await curl(`${base}/api/companies/my`, "-H", `Authorization: Bearer ${client.token}`);
  assert.equal(my.status, 401, my.body);
  assert.match(JSON.parse(my.body).message, /inactive/);
});

test("deleting the client asks for confirmation, then its credentials stop working", async () => {
  const row = page.locator(`tr[data-client="${client.id}"]`);
  await row.getByRole("button", { name: "Delete SIEM connector" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete client?" });
  await dialog.waitFor();
  await shot("05-delete-confirmation");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await row.count(), 1, "cancel keeps the client");
  await row.getByRole("button", { name: "Delete SIEM connector" }).click();
  await page.getByRole("dialog", { name: "Delete client?" }).getByRole("button", { name: "Delete" }).click();
  await page.getByText('Client "SIEM connector" was deleted.').waitFor();
  assert.equal(await row.count(), 0);
  const issued = await tokenFor(client.id, client.secret);
  assert.equal(issued.status, 400, issued.body);
  assert.equal(JSON.parse(issued.body).error, "invalid_client");
});

test("an invalid address gets an inline error and nothing is saved", async () => {
  await page.getByRole("link", { name: "+ NEW" }).click();
  await page.getByLabel("Client Name").fill("Bad ranges");
  await page.getByRole("button", { name: "Generate Client Credentials" }).click();
  await page.getByLabel("Restrict by IP address").check();
  const ip = page.getByLabel("IP address 1", { exact: true });
  await ip.fill("300.1.2.3/8");
  await ip.blur();
  await page.getByText("Invalid ip address").waitFor();
  assert.equal(await ip.getAttribute("aria-invalid"), "true");
  await page.getByLabel("Company Admin").check();
  await page.getByRole("button", { name: "Create" }).click();
  assert.equal(await page.getByRole("heading", { name: "New REST API client" }).count(), 1, "still on the form");
  await shot("06-invalid-address");
  await ip.fill("10.1.0.0/16");
  await page.getByText("Invalid ip address").waitFor({ state: "detached" });
  await page.getByRole("link", { name: "Cancel" }).click();
  await page.getByRole("heading", { name: "REST API" }).waitFor();
  assert.equal(await page.getByText("Bad ranges").count(), 0);
});

test("the REST API page pages through a company's clients", async () => {
  await page.getByLabel("Company").selectOption(env("LATCHKEY_OTHER_ID"));
  await page.getByText("Page 1 of 2 · 21 clients").waitFor();
  assert.equal(await page.locator("tr[data-client]").count(), 20);
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByText("Page 2 of 2 · 21 clients").waitFor();
  assert.equal(await page.locator("tr[data-client]").count(), 1);
  assert.equal(await page.getByRole("button", { name: "Next" }).isDisabled(), true);
});

test("companies and user roles lists", async () => {
  await page.getByRole("link", { name: "Companies" }).click();
  await page.getByRole("heading", { name: "Companies" }).waitFor();
  await page.getByRole("cell", { name: env("LATCHKEY_CUSTOMER_NAME"), exact: true }).waitFor();
  await page.getByLabel("Search companies").fill(env("LATCHKEY_CUSTOMER_NAME"));
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText(/Page 1 of 1 · 1 companies/).waitFor();
  await accessible("companies");
  await shot("07-companies");
  await page.getByRole("link", { name: "User Roles" }).click();
  await page.getByRole("heading", { name: "User Roles" }).waitFor();
  await page.getByRole("cell", { name: "Company Admin" }).first().waitFor();
  await accessible("user-roles");
  await shot("08-user-roles");
});

test("state-changing console calls need the CSRF token", async () => {
  const status = await page.evaluate(async () => {
    const r = await fetch("/console/api/companies/clients", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "no csrf", statusId: 1, roleResourceIdList: [] }),
    });
    return r.status;
  });
  assert.equal(status, 403);
});

test("sign out ends the session", async () => {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("You have signed out.").waitFor();
  const status = await page.evaluate(async () => (await fetch("/console/api/companies/my")).status);
  assert.equal(status, 401);
});

test("a Company Admin sees only their own company", async () => {
  await setPasswordAndSignIn(env("LATCHKEY_COMPANY_ADMIN_LINK"), env("LATCHKEY_COMPANY_ADMIN_EMAIL"), companyAdminPassword);
  assert.equal(await page.getByLabel("Company").count(), 0, "no company switcher");
  assert.equal(await page.getByRole("link", { name: "Companies" }).count(), 0, "no companies list");
  await page.getByText(env("LATCHKEY_CUSTOMER_NAME")).first().waitFor();
  await page.goto(`${base}/console/#/companies`);
  await page.getByRole("heading", { name: "REST API" }).waitFor();
  const other = env("LATCHKEY_OTHER_ID");
  const answers = await page.evaluate(async (otherId) => {
    const session = await (await fetch("/console/session")).json();
    const headers = { "Content-Type": "application/json", "X-CSRF-Token": session.data.csrfToken };
    const search = await fetch("/console/api/companies/clients/search", {
      method: "POST", headers: { ...headers, "X-KEEPNET-Company-Id": otherId }, body: "{}" });
    const company = await fetch(`/console/api/companies/${otherId}`);
    const companies = await fetch("/console/api/companies/search", { method: "POST", headers, body: "{}" });
    return [search.status, company.status, companies.status];
  }, other);
  assert.deepEqual(answers, [403, 403, 403]);
  await shot("09-company-admin");
});
