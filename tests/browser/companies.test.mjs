// The Companies and Company Groups pages in Chromium.
//
// Started by the Rust integration test `the_company_pages_work_in_chromium`, which runs a fresh
// server with, below the default reseller: Northwind Traders, Contoso Pharmaceuticals, Bulk
// Delete One and Two, and Fabrikam Over Limit (two target users on a licence for one), and a
// Company Admin of Northwind. Environment:
//
//   LATCHKEY_BASE_URL             the server
//   LATCHKEY_ADMIN_LINK           set-password link of the platform administrator
//   LATCHKEY_ADMIN_EMAIL          that administrator's email
//   LATCHKEY_COMPANY_ADMIN_LINK   set-password link of a Company Admin of Northwind Traders
//   LATCHKEY_COMPANY_ADMIN_EMAIL  that user's email
//   LATCHKEY_ARTIFACTS            directory for screenshots
//
// The steps build on each other and run in order.

import { before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { deflateSync, crc32 } from "node:zlib";
import { env, launch, shot as keep, accessible as axe, setPasswordAndSignIn as signIn, stepsOn } from "./helpers.mjs";

const base = env("LATCHKEY_BASE_URL");
const password = "company pages passphrase 2026";

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
const companyRow = (name) => page.locator(`tr[data-company="${name}"]`);
const groupRow = (name) => page.locator(`tr[data-group="${name}"]`);
const focused = () => page.evaluate(() => document.activeElement && document.activeElement.id);

async function openPage(name, heading = name) {
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name, exact: true }).click();
  await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
}

/** Presses Tab until the element `id` has the focus, at most `limit` times. */
async function tabTo(id, limit = 30) {
  for (let n = 0; n < limit; n += 1) {
    await page.keyboard.press("Tab");
    if (await focused() === id) return;
  }
  assert.fail(`${id} is not reached with the keyboard within ${limit} presses`);
}

/** Whether the logo preview shows the test's image (a PNG 96 pixels wide), loaded. */
function logoShown() {
  const img = document.getElementById("company-logo-preview");
  return Boolean(img && !img.hidden && img.src.startsWith("data:image/png;base64,") && img.complete && img.naturalWidth === 96);
}

/** A small PNG (a two-colour banner), built here so that no image file is needed. */
function png(width = 96, height = 32) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([head, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    const row = [0];
    for (let x = 0; x < width; x += 1) row.push(...(x < width / 3 ? [0x1d, 0x4e, 0xd8] : [0xf5, 0xa6, 0x23]));
    rows.push(Buffer.from(row));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

test("the reseller administrator signs in and sees both pages in the navigation", async () => {
  await signIn(page, env("LATCHKEY_ADMIN_LINK"), env("LATCHKEY_ADMIN_EMAIL"), password);
  const nav = page.getByRole("navigation", { name: "Console" });
  for (const name of ["Companies", "Company Groups"]) {
    assert.equal(await nav.getByRole("link", { name, exact: true }).count(), 1, `${name} is in the navigation`);
  }
});

test("Companies: the licence columns and the exceeding-licence toggle", async () => {
  await openPage("Companies");
  await companyRow("Fabrikam Over Limit").waitFor();
  const cells = await companyRow("Fabrikam Over Limit").innerText();
  assert.match(cells, /\b1\b/, "the licence limit");
  assert.match(cells, /2 \(over the limit\)/, "the target users, marked over the limit");
  assert.match(cells, /Standard/);
  await page.getByText("1 company exceeds its licence limit.").waitFor();
  assert.equal(await companyRow("Northwind Traders").count(), 1);
  await accessible("companies");
  await shot("70-companies");

  await page.getByLabel("Only companies exceeding their licence limit").check();
  await page.getByText(/Page 1 of 1 · 1 companies/).waitFor();
  assert.equal(await companyRow("Fabrikam Over Limit").count(), 1);
  assert.equal(await companyRow("Northwind Traders").count(), 0, "a company within its licence is not listed");
  await shot("71-companies-exceeding");
  await page.getByLabel("Only companies exceeding their licence limit").uncheck();
  await companyRow("Northwind Traders").waitFor();
});

test("Companies: the form refuses with the API's messages at their fields, then creates with a logo", async () => {
  await page.getByRole("link", { name: "+ NEW" }).click();
  await page.getByRole("heading", { name: "New company", level: 1 }).waitFor();
  assert.equal(await focused(), "company-name", "the form starts at the name");
  await accessible("company-new");

  // Nothing filled in: the API lists what is missing, each message at its field.
  await page.getByRole("button", { name: "Create" }).click();
  await page.locator("#company-name-error").waitFor();
  assert.match(await page.locator("#company-name-error").innerText(), /Name is required/);
  assert.equal(await page.getByLabel("Company Name").getAttribute("aria-invalid"), "true");
  assert.match(await page.locator("#company-industry-error").innerText(), /IndustryResourceId is required/);
  assert.match(await page.locator("#company-timeZone-error").innerText(), /TimeZoneId is required/);
  assert.equal(await focused(), "company-name", "the first marked field has the focus");
  await shot("72-company-refused");

  await page.getByLabel("Company Name").fill("Adventure Works");
  await page.getByLabel("Industry").selectOption({ label: "Technology" });
  // A country proposes its time zone, date and time formats and language.
  await page.getByLabel("Country").selectOption({ label: "Germany" });
  assert.equal(await page.getByLabel("Time Zone").inputValue(), "Europe/Berlin");
  assert.equal(await page.getByLabel("Date Format").inputValue(), "dd.MM.yyyy");
  assert.equal(await page.getByLabel("Time Format").inputValue(), "HH:mm");
  assert.match(await page.locator("#company-suggestion").innerText(), /Proposed for Germany: time zone .*Europe\/Berlin/);
  assert.equal(await page.locator("#company-timeZone-error").count(), 0, "a proposed value clears the field's error");
  await page.getByLabel("Address").fill("1 Main Street, Berlin");
  await page.getByLabel("Website").fill("https://adventure-works.example");
  // A licence type proposes its modules.
  await page.getByLabel("License Type").selectOption({ label: "Standard" });
  const modules = page.locator("#company-modules input[type=checkbox]");
  const checked = await modules.evaluateAll((boxes) => boxes.filter((b) => b.checked).length);
  assert.ok(checked > 0 && checked < await modules.count(), "Standard checks some modules, not all");
  await page.getByLabel("License Period").selectOption({ label: "Yearly" });
  await page.getByLabel("License Start Date").fill("2026-01-01");
  await page.getByLabel("License End Date").fill("2026-12-31");
  await page.getByLabel("Number of Users").fill("-5");
  await page.getByRole("button", { name: "Create" }).click();
  await page.locator("#company-users-error").waitFor();
  assert.match(await page.locator("#company-users-error").innerText(), /NumberOfUsers must be a whole number of at least 0/);
  assert.equal(await page.locator("#company-name-error").count(), 0, "the fixed fields are no longer marked");

  await page.getByLabel("Number of Users").fill("250");
  assert.equal(await page.locator("#company-users-error").count(), 0, "a changed field is no longer marked");
  await page.getByLabel("Logo image").setInputFiles({ name: "adventure-works.png", mimeType: "image/png", buffer: png() });
  const preview = page.locator("#company-logo-preview");
  await page.waitForFunction(logoShown);
  assert.equal(await preview.isVisible(), true, "the chosen logo is previewed");
  assert.equal(await preview.getAttribute("alt"), "Preview of the new logo (adventure-works.png)");
  await accessible("company-filled");
  await shot("73-company-form");

  await page.getByRole("button", { name: "Create" }).click();
  await flash('Company "Adventure Works" was created.');
  const cells = await companyRow("Adventure Works").innerText();
  assert.match(cells, /Standard/);
  assert.match(cells, /250/);
  assert.match(cells, /2026-12-31/);
});

test("Companies: an edit shows what was saved and the stored logo, and makes the licence unlimited", async () => {
  await companyRow("Adventure Works").getByRole("link", { name: "Edit Adventure Works" }).click();
  await page.getByRole("heading", { name: "Edit company Adventure Works" }).waitFor();
  assert.equal(await page.getByLabel("Country").inputValue() !== "", true);
  assert.equal(await page.getByLabel("Time Zone").inputValue(), "Europe/Berlin");
  assert.equal(await page.getByLabel("License Start Date").inputValue(), "2026-01-01");
  assert.equal(await page.getByLabel("Number of Users").inputValue(), "250");
  assert.equal(await page.getByLabel("Address").inputValue(), "1 Main Street, Berlin");
  const preview = page.locator("#company-logo-preview");
  await page.waitForFunction(logoShown);
  assert.equal(await preview.getAttribute("alt"), "Current logo (adventure-works.png)", "the stored logo is shown");
  assert.equal(await page.locator("#company-reseller").count(), 0, "whether a company resells is chosen at creation only");
  await accessible("company-edit");
  await shot("74-company-edit");

  await page.getByLabel("Unlimited users").check();
  assert.equal(await page.getByLabel("Number of Users").isDisabled(), true, "an unlimited licence has no number");
  await page.getByLabel("Website").fill("");
  await page.getByRole("button", { name: "Save" }).click();
  await flash('Company "Adventure Works" was saved.');
  assert.match(await companyRow("Adventure Works").innerText(), /Unlimited/);
  await companyRow("Adventure Works").getByRole("link", { name: "Edit Adventure Works" }).click();
  await page.getByRole("heading", { name: "Edit company Adventure Works" }).waitFor();
  assert.equal(await page.getByLabel("Unlimited users").isChecked(), true);
  assert.equal(await page.getByLabel("Website").inputValue(), "", "an emptied field is cleared");
  await page.getByRole("link", { name: "Cancel" }).click();
  await page.getByRole("heading", { name: "Companies", level: 1 }).waitFor();
});

test("Companies: export to CSV and XLSX", async () => {
  await companyRow("Adventure Works").waitFor();
  const [csvDownload] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export CSV" }).click(),
  ]);
  assert.match(csvDownload.suggestedFilename(), /\.csv$/);
  const csv = await readFile(await csvDownload.path(), "utf8");
  assert.match(csv, /Company Name/);
  assert.match(csv, /Adventure Works/);
  assert.match(csv, /Fabrikam Over Limit/);
  await page.getByText("Export downloaded.").waitFor();
  const [xlsxDownload] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export XLSX" }).click(),
  ]);
  assert.match(xlsxDownload.suggestedFilename(), /\.xlsx$/);
  const xlsx = await readFile(await xlsxDownload.path());
  assert.equal(xlsx.subarray(0, 2).toString("latin1"), "PK", "an XLSX file is a zip");
});

test("Companies: the form is filled in and sent with the keyboard alone", async () => {
  await page.goto(`${base}/console/#/companies/new`);
  await page.getByRole("heading", { name: "New company", level: 1 }).waitFor();
  assert.equal(await focused(), "company-name");
  await page.keyboard.type("Keyboard Kites");
  await page.keyboard.press("Tab");
  assert.equal(await focused(), "company-industry");
  await page.keyboard.type("Education");
  await page.keyboard.press("Tab");
  assert.equal(await focused(), "company-country");
  await page.keyboard.type("France");
  await page.getByText("Proposed for France").waitFor();
  assert.equal(await page.getByLabel("Time Zone").inputValue(), "Europe/Paris", "the country's time zone is proposed");
  await tabTo("company-licenseType");
  await page.keyboard.type("Trial");
  await page.keyboard.press("Tab");
  assert.equal(await focused(), "company-period");
  await page.keyboard.type("Monthly");
  await tabTo("company-users");
  await page.keyboard.type("25");
  await page.keyboard.press("Enter");
  await flash('Company "Keyboard Kites" was created.');
  const cells = await companyRow("Keyboard Kites").innerText();
  assert.match(cells, /Education/);
  assert.match(cells, /Trial/);
  assert.match(cells, /\b25\b/);
});

test("Companies: delete after a confirmation that says what goes with the company", async () => {
  await companyRow("Keyboard Kites").getByRole("button", { name: "Delete Keyboard Kites" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete company?" });
  await dialog.waitFor();
  const said = await dialog.innerText();
  assert.match(said, /"Keyboard Kites" will be deleted with its API clients, console users, roles, target users and groups/);
  assert.match(said, /companies under it is refused/);
  assert.match(said, /cannot be undone/);
  await accessible("company-delete-dialog");
  await shot("75-company-delete-confirm");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await companyRow("Keyboard Kites").count(), 1, "Cancel keeps the company");
  await companyRow("Keyboard Kites").getByRole("button", { name: "Delete Keyboard Kites" }).click();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await flash('Company "Keyboard Kites" was deleted.');
  await companyRow("Adventure Works").waitFor();
  assert.equal(await companyRow("Keyboard Kites").count(), 0);

  // As the confirmation says, a company with companies under it is refused, with the reason.
  await companyRow("Default Reseller").getByRole("button", { name: "Delete Default Reseller" }).click();
  await dialog.getByRole("button", { name: "Delete" }).click();
  const refused = page.getByRole("alert").filter({ hasText: 'Company "Default Reseller" was not deleted' });
  await refused.waitFor();
  assert.match(await refused.innerText(), /has \d+ companies under it; move or delete them first/);
  await companyRow("Default Reseller").waitFor();
  await shot("75-company-delete-refused");
});

test("Companies: bulk delete of the selected companies", async () => {
  await page.getByLabel("Select Bulk Delete One").check();
  await page.getByLabel("Select Bulk Delete Two").check();
  await page.getByRole("button", { name: "Delete Selected (2)" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete 2 companies?" });
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /Bulk Delete One, Bulk Delete Two will be deleted, each with its API clients/);
  await dialog.getByRole("button", { name: "Delete" }).click();
  await flash("2 companies were deleted.");
  await companyRow("Northwind Traders").waitFor();
  assert.equal(await companyRow("Bulk Delete One").count(), 0);
  assert.equal(await companyRow("Bulk Delete Two").count(), 0);
});

test("Company Groups: create (refused without a name), rename", async () => {
  await openPage("Company Groups");
  await page.getByText("No company groups match.").waitFor();
  await accessible("company-groups-empty");
  await page.getByRole("button", { name: "+ NEW" }).click();
  const dialog = page.getByRole("dialog", { name: "New company group" });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Create" }).click();
  await dialog.locator(".field-error").waitFor();
  assert.match(await dialog.locator(".field-error").innerText(), /Group name must be between 1 and 64 characters/);
  assert.equal(await dialog.getByLabel("Group Name").getAttribute("aria-invalid"), "true");
  await accessible("company-group-refused");
  await dialog.getByLabel("Group Name").fill("EMEA Customers");
  await dialog.getByRole("button", { name: "Create" }).click();
  await flash('Company group "EMEA Customers" was created.');
  await groupRow("EMEA Customers").waitFor();

  await page.getByRole("button", { name: "Rename EMEA Customers" }).click();
  const rename = page.getByRole("dialog", { name: "Rename EMEA Customers" });
  await rename.getByLabel("Group Name").fill("EMEA Key Accounts");
  await rename.getByRole("button", { name: "Save" }).click();
  await flash('Company group "EMEA Key Accounts" was renamed.');
  await groupRow("EMEA Key Accounts").waitFor();
  assert.equal(await groupRow("EMEA Customers").count(), 0);
  await accessible("company-groups");
  await shot("76-company-groups");
});

test("Company Groups: add and remove member companies", async () => {
  await page.getByRole("link", { name: "EMEA Key Accounts" }).click();
  await page.getByRole("heading", { name: "EMEA Key Accounts", level: 1 }).waitFor();
  await page.getByText("No companies in this group yet.").waitFor();
  await page.getByRole("button", { name: "Add Companies" }).click();
  const dialog = page.getByRole("dialog", { name: "Add companies to EMEA Key Accounts" });
  await dialog.locator('tr[data-candidate="Northwind Traders"]').waitFor();
  await dialog.getByLabel("Pick Northwind Traders").check();
  await dialog.getByLabel("Pick Contoso Pharmaceuticals").check();
  await dialog.getByText("2 selected.").waitFor();
  await accessible("company-group-add");
  await shot("77-company-group-add");
  await dialog.getByRole("button", { name: "Add Selected" }).click();
  await page.getByText("2 companies added to the group.").waitFor();
  await companyRow("Northwind Traders").waitFor();
  await companyRow("Contoso Pharmaceuticals").waitFor();
  await accessible("company-group-members");
  await shot("78-company-group-members");

  // Members are marked as such when adding more.
  await page.getByRole("button", { name: "Add Companies" }).click();
  await dialog.locator('tr[data-candidate="Northwind Traders"]').waitFor();
  assert.match(await dialog.locator('tr[data-candidate="Northwind Traders"]').innerText(), /Already a member/);
  assert.doesNotMatch(await dialog.locator('tr[data-candidate="Adventure Works"]').innerText(), /Already a member/);
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });

  await page.getByLabel("Select Contoso Pharmaceuticals").check();
  await page.getByRole("button", { name: "Remove Selected (1)" }).click();
  const confirmRemove = page.getByRole("dialog", { name: "Remove companies from the group?" });
  assert.match(await confirmRemove.innerText(), /The companies are kept/);
  await confirmRemove.getByRole("button", { name: "Remove" }).click();
  await page.getByText("1 company removed from the group.").waitFor();
  await companyRow("Contoso Pharmaceuticals").waitFor({ state: "detached" });
  assert.equal(await companyRow("Northwind Traders").count(), 1, "the other member stays");

  await page.getByRole("link", { name: "\u2190 Company Groups" }).click();
  await groupRow("EMEA Key Accounts").waitFor();
  assert.match(await groupRow("EMEA Key Accounts").innerText(), /\b1\b/, "the group counts one company");
});

test("Company Groups: delete one after confirmation, and several at once", async () => {
  await page.getByRole("button", { name: "Delete EMEA Key Accounts" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete company group?" });
  assert.match(await dialog.innerText(), /Its companies are kept/);
  await dialog.getByRole("button", { name: "Delete" }).click();
  await flash('Company group "EMEA Key Accounts" was deleted.');
  await page.getByText("No company groups match.").waitFor();

  for (const name of ["Temp Group A", "Temp Group B", "Kept Group"]) {
    await page.getByRole("button", { name: "+ NEW" }).click();
    const create = page.getByRole("dialog", { name: "New company group" });
    await create.getByLabel("Group Name").fill(name);
    await create.getByRole("button", { name: "Create" }).click();
    await flash(`Company group "${name}" was created.`);
  }
  await page.getByLabel("Select Temp Group A").check();
  await page.getByLabel("Select Temp Group B").check();
  await page.getByRole("button", { name: "Delete Selected (2)" }).click();
  await page.getByRole("dialog", { name: "Delete 2 company groups?" }).getByRole("button", { name: "Delete" }).click();
  await flash("2 company group(s) deleted.");
  await groupRow("Kept Group").waitFor();
  assert.equal(await groupRow("Temp Group A").count(), 0);
  assert.equal(await groupRow("Temp Group B").count(), 0);
});

test("a Company Admin of a customer sees neither page nor its controls, and the API refuses", async () => {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("You have signed out.").waitFor();
  await signIn(page, env("LATCHKEY_COMPANY_ADMIN_LINK"), env("LATCHKEY_COMPANY_ADMIN_EMAIL"), "company admin passphrase 2026");
  const nav = page.getByRole("navigation", { name: "Console" });
  for (const name of ["Companies", "Company Groups"]) {
    assert.equal(await nav.getByRole("link", { name, exact: true }).count(), 0, `no ${name} link`);
  }
  for (const hash of ["#/companies/new", "#/company-groups"]) {
    // Loaded afresh, so that the page shown is the one drawn for this address.
    await page.goto(`${base}/console/${hash}`);
    await page.reload();
    await page.getByRole("heading", { name: "REST API", level: 1 }).waitFor();
    assert.equal(await page.getByLabel("Company Name").count(), 0, `${hash} shows no company form`);
  }
  const statuses = await page.evaluate(async () => {
    const session = await (await fetch("/console/session")).json();
    const headers = { "Content-Type": "application/json", "X-CSRF-Token": session.data.csrfToken };
    const groups = await fetch("/console/api/company-groups", { method: "POST", headers, body: JSON.stringify({ name: "Sneaky" }) });
    const search = await fetch("/console/api/companies/search", { method: "POST", headers, body: "{}" });
    return [groups.status, search.status];
  });
  assert.deepEqual(statuses, [403, 403], "the API refuses what the console does not offer");
  await accessible("company-admin-home");
  await shot("79-company-admin");
});
