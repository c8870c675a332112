// The people pages of the console in Chromium: custom fields, target users, target groups,
// the import wizard and the Job Log.
//
// Started by the Rust integration test `the_people_pages_work_in_chromium`, which runs a fresh
// server and creates, in the customer company, 24 target users (employee00@… to
// employee19@northwind.example, departments Sales and Finance). Environment:
//
//   LATCHKEY_BASE_URL     the server
//   LATCHKEY_ADMIN_LINK   set-password link of the platform administrator
//   LATCHKEY_ADMIN_EMAIL  that administrator's email
//   LATCHKEY_CUSTOMER_ID  the customer company
//   LATCHKEY_ARTIFACTS    directory for screenshots
//   LATCHKEY_WORKBOOK     an XLSX whose second sheet, Contractors, holds a new user and
//                         employee01@… renamed
//
// The steps build on each other and run in order.

import { test as nodeTest, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { env, launch, shot as keep, accessible as axe, setPasswordAndSignIn } from "./helpers.mjs";

const base = env("LATCHKEY_BASE_URL");
const customer = env("LATCHKEY_CUSTOMER_ID");
const password = "people pages passphrase 2026";

let browser;
let page;
/** The operations this server has (`/openapi.json`): a page whose API is missing is skipped. */
let operations = {};

before(async () => {
  ({ browser, page } = await launch());
  operations = (await (await fetch(`${base}/openapi.json`)).json()).paths;
});

/** Whether the server has the operation `"POST /api/…"`. */
const has = (operation) => {
  const [method, path] = operation.split(" ");
  return Boolean(operations[path] && operations[path][method.toLowerCase()]);
};

/** Skips the step (saying why) unless the server has every operation of `wanted`. */
function needs(t, ...wanted) {
  const missing = wanted.filter((o) => !has(o));
  if (missing.length) t.skip(`not on this server yet: ${missing.join(", ")}`);
  return missing.length === 0;
}

const GROUPS = ["POST /api/target-groups/search", "POST /api/target-groups", "PUT /api/target-groups/{resourceId}", "DELETE /api/target-groups/{resourceId}"];
const MEMBERS = ["POST /api/target-groups/{resourceId}/users", "PUT /api/target-groups/users", "DELETE /api/target-groups/{resourceId}/users"];
const IMPORT = ["POST /api/target-users/upload", "GET /api/target-users/upload/{transactionId}", "POST /api/target-users/create-mapping",
  "GET /api/target-users/mapping-job/{resourceId}", "POST /api/target-users/{transactionId}/search", "PUT /api/target-users/{transactionId}/update",
  "POST /api/target-users/{transactionId}/import", "GET /api/jobs/{resourceId}"];

after(async () => {
  await browser?.close();
});

const shot = (name) => keep(page, name);

/** A step that leaves a screenshot of where it stopped when it fails. */
function test(name, body) {
  nodeTest(name, async (t) => {
    try {
      await body(t);
    } catch (error) {
      await shot(`failed-${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}`).catch(() => {});
      throw error;
    }
  });
}
const accessible = (name) => axe(page, name);
const flash = (text) => page.getByRole("status").filter({ hasText: text }).waitFor();
const row = (attribute, value) => page.locator(`tr[${attribute}="${value}"]`);
const focused = () => page.evaluate(() => document.activeElement && document.activeElement.id);

async function openPage(name, heading = name) {
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name, exact: true }).click();
  await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
}

test("the administrator signs in and switches to the customer", async () => {
  await setPasswordAndSignIn(page, env("LATCHKEY_ADMIN_LINK"), env("LATCHKEY_ADMIN_EMAIL"), password);
  await page.getByLabel("Company").selectOption(customer);
  await page.getByRole("heading", { name: "REST API" }).waitFor();
  const pages = { "Target Users": "POST /api/target-users/search", "Target Groups": GROUPS[0], "Custom Fields": "GET /api/custom-fields/company", "Import Users": IMPORT[0], "Job Log": "GET /api/jobs" };
  for (const [name, operation] of Object.entries(pages)) {
    if (!has(operation)) continue;
    assert.equal(await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name, exact: true }).count(), 1, `${name} is in the navigation`);
  }
});

test("custom fields: two are added and saved; a duplicate name is refused", async () => {
  await openPage("Custom Fields");
  await page.getByRole("button", { name: "Add Field" }).click();
  assert.equal(await focused(), await page.getByLabel("Name of field 1").getAttribute("id"), "the new row has the focus");
  await page.keyboard.type("Cost Center");
  await page.getByLabel("Required of field 1").check();
  await page.getByRole("button", { name: "Add Field" }).click();
  await page.getByLabel("Name of field 2").fill("Start Date");
  await page.getByLabel("Data type of field 2").selectOption("Date");
  await page.getByRole("button", { name: "Save Fields" }).click();
  await flash("Custom fields were saved.");
  assert.equal(await page.getByLabel("Name of field 1").inputValue(), "Cost Center");
  assert.equal(await page.getByLabel("Data type of field 2").inputValue(), "Date");
  assert.equal(await page.getByLabel("Data type of field 2").isDisabled(), true, "a saved field keeps its type");
  await accessible("custom-fields");
  await shot("20-custom-fields");

  await page.getByRole("button", { name: "Add Field" }).click();
  await page.getByLabel("Name of field 3").fill("cost center");
  await page.getByRole("button", { name: "Save Fields" }).click();
  await page.getByRole("alert").waitFor();
  await shot("21-custom-field-refused");
  await page.reload();
  await page.getByRole("heading", { name: "Custom Fields" }).waitFor();
  assert.equal(await page.getByLabel("Company").inputValue(), customer, "a reload stays in the company");
  assert.equal(await page.getByLabel("Name of field 3").count(), 0, "nothing of the refused save was kept");
});

test("target users: a keyboard-only pass through the new-user form", async () => {
  await openPage("Target Users");
  await page.getByText("Page 1 of 2 · 24 users").waitFor();
  await page.getByRole("link", { name: "+ NEW" }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "New target user" }).waitFor();
  assert.equal(await focused(), "user-email", "the form starts at Email");
  await page.keyboard.type("keyboard.only@northwind.example");
  const order = [
    ["user-firstName", "Kay"],
    ["user-lastName", "Board"],
    ["user-phoneNumber", "+15550123456"],
    ["user-department", "Support"],
    ["user-priority", "H"], // typing on a select picks the first option starting so: High
    ["user-status", null],
    ["user-timeZoneId", null],
    ["user-preferredLanguageId", null],
    ["user-managerFirstName", null],
    ["user-managerLastName", null],
    ["user-managerEmail", "lead@northwind.example"],
  ];
  for (const [id, text] of order) {
    await page.keyboard.press("Tab");
    assert.equal(await focused(), id, "Tab moves through the fields in order");
    if (text) await page.keyboard.type(text);
  }
  await page.keyboard.press("Tab");
  assert.equal(await focused(), await page.getByLabel("Cost Center (required)").getAttribute("id"), "then the custom fields");
  await page.keyboard.type("CC-42");
  await accessible("new-target-user");
  await shot("22-new-target-user");
  await page.keyboard.press("Enter");
  await flash("Target user keyboard.only@northwind.example was created.");
  await page.getByText("Page 1 of 2 · 25 users").waitFor();
  await row("data-user", "keyboard.only@northwind.example").getByRole("link", { name: "Edit keyboard.only@northwind.example" }).click();
  await page.getByRole("heading", { name: "Edit keyboard.only@northwind.example" }).waitFor();
  assert.equal(await page.getByLabel("Priority").inputValue(), "High");
  assert.equal(await page.getByLabel("Cost Center (required)").inputValue(), "CC-42");
  assert.equal(await page.getByLabel("Manager Email").inputValue(), "lead@northwind.example");
});

test("target users: the server's refusal is shown at the field it names", async () => {
  await page.getByRole("link", { name: "Cancel" }).click();
  await page.getByRole("link", { name: "+ NEW" }).click();
  await page.getByLabel("Email", { exact: true }).fill("not-an-email");
  await page.getByLabel("Cost Center (required)").fill("CC-1");
  await page.getByRole("button", { name: "Create" }).click();
  const error = page.locator("#user-email-error");
  await error.waitFor();
  assert.match(await error.textContent(), /not a valid email/);
  assert.equal(await page.getByLabel("Email", { exact: true }).getAttribute("aria-invalid"), "true");
  assert.equal(await focused(), "user-email", "the focus goes to the field in error");
  await shot("23-target-user-refused");
  // A required custom field left empty is caught before sending.
  await page.getByLabel("Email", { exact: true }).fill("someone@northwind.example");
  await page.getByLabel("Cost Center (required)").fill("");
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByText("Cost Center is required").waitFor();
  await page.getByRole("link", { name: "Cancel" }).click();
  await page.getByText("Page 1 of 2 · 25 users").waitFor();
});

test("target users: search, sort, edit, export and delete", async () => {
  await page.getByLabel("Search target users").fill("employee07");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText("Page 1 of 1 · 1 users").waitFor();
  await page.getByLabel("Search target users").fill("");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText("Page 1 of 2 · 25 users").waitFor();
  await page.getByLabel("Status", { exact: true }).selectOption("Inactive");
  await page.getByText("No target users match").waitFor();
  await page.getByLabel("Status", { exact: true }).selectOption("Active");
  await page.getByText("Page 1 of 2 · 25 users").waitFor();
  await page.getByLabel("Status", { exact: true }).selectOption("");

  await page.getByRole("button", { name: "Email", exact: true }).click();
  await page.locator('th[aria-sort="ascending"]').getByText("Email").waitFor();
  await page.locator("tbody tr").first().filter({ hasText: "employee00@northwind.example" }).waitFor();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByText("Page 2 of 2 · 25 users").waitFor();
  assert.equal(await page.locator("tbody tr").count(), 5);
  await page.getByRole("button", { name: "Previous" }).click();

  await row("data-user", "employee07@northwind.example").getByRole("link", { name: "Edit employee07@northwind.example" }).click();
  await page.getByLabel("Department").fill("Legal");
  await page.getByLabel("Cost Center (required)").fill("CC-7");
  await page.getByRole("button", { name: "Save" }).click();
  await flash("Target user employee07@northwind.example was saved.");
  await page.getByRole("button", { name: "Email", exact: true }).click();
  await row("data-user", "employee07@northwind.example").getByRole("cell", { name: "Legal" }).waitFor();
  await accessible("target-users");
  await shot("24-target-users");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export CSV" }).click(),
  ]);
  const csv = await readFile(await download.path(), "utf8");
  assert.match(csv, /employee07@northwind\.example/);
  assert.match(csv, /keyboard\.only@northwind\.example/);

  await row("data-user", "employee19@northwind.example").getByRole("button", { name: "Delete employee19@northwind.example" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete target user?" });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await row("data-user", "employee19@northwind.example").count(), 1, "cancel keeps the user");
  await row("data-user", "employee19@northwind.example").getByRole("button", { name: "Delete employee19@northwind.example" }).click();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await flash("Target user employee19@northwind.example was deleted.");
  await page.getByText("· 24 users").waitFor();
  const counts = page.getByRole("group", { name: "Target user counts" });
  await counts.getByText("Deleted").waitFor();
  assert.match(await counts.textContent(), /24\s*Active\s*0\s*Inactive\s*1\s*Deleted/);
});

test("target groups: create, a duplicate refused, rename", async (t) => {
  if (!needs(t, ...GROUPS)) return;
  await openPage("Target Groups");
  await page.getByText("No target groups match").waitFor();
  await page.getByRole("button", { name: "+ NEW" }).click();
  const dialog = page.getByRole("dialog", { name: "New target group" });
  await dialog.getByLabel("Group Name").fill("Sales Team");
  await dialog.getByLabel("Priority").selectOption("High");
  await dialog.getByRole("button", { name: "Create" }).click();
  await flash('Target group "Sales Team" was created.');
  await row("data-group", "Sales Team").waitFor();

  await page.getByRole("button", { name: "+ NEW" }).click();
  await dialog.getByLabel("Group Name").fill("sales team");
  await dialog.getByRole("button", { name: "Create" }).click();
  await dialog.getByRole("alert").waitFor();
  await shot("25-target-group-refused");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await page.locator("tr[data-group]").count(), 1, "no second group");

  await row("data-group", "Sales Team").getByRole("button", { name: "Rename Sales Team" }).click();
  const rename = page.getByRole("dialog", { name: "Rename Sales Team" });
  await rename.getByLabel("Group Name").fill("Sales EMEA");
  await rename.getByRole("button", { name: "Save" }).click();
  await flash('Target group "Sales EMEA" was saved.');
  await row("data-group", "Sales EMEA").waitFor();
  await accessible("target-groups");
  await shot("26-target-groups");
});

test("target groups: members are picked from the users not in the group, and removed", async (t) => {
  if (!needs(t, ...GROUPS, ...MEMBERS)) return;
  await row("data-group", "Sales EMEA").getByRole("link", { name: "Sales EMEA" }).click();
  await page.getByRole("heading", { name: "Sales EMEA" }).waitFor();
  await page.getByText("No users in this group yet").waitFor();
  await page.getByRole("button", { name: "Add Users" }).click();
  const dialog = page.getByRole("dialog", { name: "Add users to Sales EMEA" });
  await dialog.getByLabel("Search users not in the group").fill("employee0");
  await dialog.getByRole("button", { name: "Search" }).click();
  await dialog.getByText(/Page 1 of 1 · 10 users/).waitFor();
  await dialog.getByLabel("Pick employee01@northwind.example").check();
  await dialog.getByLabel("Pick employee02@northwind.example").check();
  await dialog.getByText("2 selected.").waitFor();
  await accessible("add-members");
  await shot("27-add-members");
  await dialog.getByRole("button", { name: "Add Selected" }).click();
  await page.getByText("2 user(s) added to the group.").waitFor();
  await page.getByText("Page 1 of 1 · 2 users").waitFor();

  await page.getByRole("button", { name: "Add Users" }).click();
  await dialog.getByLabel("Search users not in the group").fill("employee0");
  await dialog.getByRole("button", { name: "Search" }).click();
  await dialog.getByText(/Page 1 of 1 · 8 users/).waitFor();
  assert.equal(await dialog.getByLabel("Pick employee01@northwind.example").count(), 0, "members are not offered again");
  await dialog.getByRole("button", { name: "Cancel" }).click();

  await page.getByLabel("Select employee01@northwind.example").check();
  await page.getByRole("button", { name: "Remove Selected (1)" }).click();
  await page.getByRole("dialog", { name: "Remove users from the group?" }).getByRole("button", { name: "Remove" }).click();
  await page.getByText("1 user(s) removed from the group.").waitFor();
  await page.getByText("Page 1 of 1 · 1 users").waitFor();
  await row("data-user", "employee02@northwind.example").waitFor();
  await accessible("group-members");
  await shot("28-group-members");
});

test("a user's groups are listed on the user's page", async (t) => {
  if (!needs(t, ...GROUPS, ...MEMBERS, "POST /api/target-users/{resourceId}/groups")) return;
  await openPage("Target Users");
  await page.getByLabel("Search target users").fill("employee02");
  await page.getByRole("button", { name: "Search" }).click();
  await row("data-user", "employee02@northwind.example").getByRole("link", { name: "Edit employee02@northwind.example" }).click();
  await page.getByRole("heading", { name: "Groups" }).waitFor();
  await row("data-group", "Sales EMEA").waitFor();
  await shot("29-user-groups");
});

test("deleting a group asks first and keeps its users", async (t) => {
  if (!needs(t, ...GROUPS)) return;
  await openPage("Target Groups");
  await row("data-group", "Sales EMEA").getByRole("button", { name: "Delete Sales EMEA" }).click();
  await page.getByRole("dialog", { name: "Delete target group?" }).getByRole("button", { name: "Delete" }).click();
  await flash('Target group "Sales EMEA" was deleted.');
  await openPage("Target Users");
  await page.getByText("· 24 users").waitFor();
});

const CSV = [
  "Email,First Name,Last Name,Department,Cost Center",
  "new.one@northwind.example,New,One,Sales,CC-1",
  "new.two@northwind.example,New,Two,Finance,CC-2",
  "employee00@northwind.example,Employee,00,Sales,CC-0",
  "not-an-email,Bad,Row,Sales,CC-3",
].join("\r\n");

test("the import wizard refuses an empty file", async (t) => {
  if (!needs(t, ...IMPORT)) return;
  await openPage("Import Users", "Import Target Users");
  await page.getByLabel("Spreadsheet file").setInputFiles({ name: "empty.csv", mimeType: "text/csv", buffer: Buffer.from("") });
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByRole("alert").waitFor();
  assert.equal(await page.getByRole("heading", { name: "Upload a spreadsheet" }).count(), 1, "still on the upload step");
  await accessible("import-upload");
  await shot("30-import-refused");
});

test("the import wizard: upload, map, preview with the invalid row marked, back, import", async (t) => {
  if (!needs(t, ...IMPORT)) return;
  await page.getByLabel("Spreadsheet file").setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(CSV) });
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByRole("heading", { name: "Map the file's columns to fields" }).waitFor();
  assert.equal(await page.getByLabel("Email (required)").inputValue(), "Email", "columns named like a field are chosen");
  assert.equal(await page.getByLabel("First Name", { exact: true }).inputValue(), "First Name");
  assert.equal(await page.getByLabel("Cost Center (required)").inputValue(), "Cost Center");
  await accessible("import-mapping");
  await shot("31-import-mapping");
  await page.getByRole("button", { name: "Map Fields" }).click();
  await page.getByRole("heading", { name: "Preview" }).waitFor();
  const counts = page.locator(".counts");
  await counts.getByText("New").waitFor();
  assert.match(await counts.textContent(), /2\s*New.*1\s*Existing.*1\s*Invalid/);
  const bad = row("data-row", "not-an-email");
  assert.match(await bad.getAttribute("class"), /invalid/);
  assert.match(await bad.textContent(), /not a valid email/);
  assert.match(await row("data-row", "new.one@northwind.example").textContent(), /New/);
  assert.match(await row("data-row", "employee00@northwind.example").textContent(), /Exists/);
  await accessible("import-preview");
  await shot("32-import-preview");

  await page.getByLabel("Show only invalid rows").check();
  await page.getByText("Page 1 of 1 · 1 rows").waitFor();
  assert.equal(await page.locator("tr[data-row]").count(), 1);
  await page.getByLabel("Show only invalid rows").uncheck();
  await page.getByText("Page 1 of 1 · 4 rows").waitFor();

  // Back to the mapping: a new transaction, the choices kept; map again without Department.
  await page.getByRole("button", { name: "Back to Mapping" }).click();
  await page.getByRole("heading", { name: "Map the file's columns to fields" }).waitFor();
  assert.equal(await page.getByLabel("Email (required)").inputValue(), "Email");
  await page.getByLabel("Department").selectOption("");
  await page.getByRole("button", { name: "Map Fields" }).click();
  await page.getByRole("heading", { name: "Preview" }).waitFor();
  await page.getByText("Page 1 of 1 · 4 rows").waitFor();

  // Import every row, the invalid one too: it is reported by the job, not written.
  await page.getByLabel("Select all on this page").check();
  await page.getByRole("button", { name: "Import Selected (4)" }).click();
  await page.getByRole("heading", { name: "Import", exact: true }).waitFor();
  await page.getByText("The import has finished with 1 error(s).").waitFor();
  assert.equal(await page.getByRole("progressbar", { name: "Importing" }).getAttribute("value"), "100");
  await shot("33-import-finished");
  await page.getByRole("link", { name: "See the job" }).click();
  await page.getByRole("heading", { name: "Steps" }).waitFor();
  const errors = page.locator("table[data-errors]");
  await errors.waitFor();
  assert.match(await errors.textContent(), /not a valid email.*not-an-email/s);
  await accessible("job-detail");
  await shot("35-job-detail");

  await openPage("Target Users");
  await page.getByLabel("Search target users").fill("new.one");
  await page.getByRole("button", { name: "Search" }).click();
  await row("data-user", "new.one@northwind.example").waitFor();
  assert.equal(await row("data-user", "new.one@northwind.example").getByRole("cell", { name: "Sales" }).count(), 0, "Department was left out of the second mapping");
});

test("the import wizard: the same file again, Import All updates the existing users", async (t) => {
  if (!needs(t, ...IMPORT)) return;
  await openPage("Import Users", "Import Target Users");
  await page.getByLabel("Spreadsheet file").setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(CSV) });
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByRole("button", { name: "Map Fields" }).click();
  await page.getByRole("heading", { name: "Preview" }).waitFor();
  await page.locator(".counts").getByText("Existing").waitFor();
  assert.match(await page.locator(".counts").textContent(), /0\s*New.*3\s*Existing.*1\s*Invalid/);
  await page.getByRole("button", { name: "Import All" }).click();
  await page.getByText("The import has finished.").waitFor();
  await page.getByRole("link", { name: "Go to Target Users" }).click();
  await page.getByLabel("Search target users").fill("new.one");
  await page.getByRole("button", { name: "Search" }).click();
  await row("data-user", "new.one@northwind.example").getByRole("cell", { name: "Sales" }).waitFor();
});

test("the Job Log lists the jobs and shows one's steps", async (t) => {
  if (!needs(t, ...IMPORT, "GET /api/jobs")) return;
  await openPage("Job Log");
  const imports = page.locator("tr[data-job]").filter({ hasText: "Import" });
  await imports.first().waitFor();
  assert.ok(await imports.count() >= 2, "both imports are listed");
  await accessible("job-log");
  await shot("34-job-log");
  await imports.first().getByRole("link").click();
  await page.getByRole("heading", { name: "Steps" }).waitFor();
  await page.locator("tr[data-step]").first().waitFor();
  assert.equal(await page.locator("table[data-errors]").count(), 0, "the second import had no errors");
});

test("the import wizard: a workbook's second sheet, its rows exported, Import New Only", async (t) => {
  if (!needs(t, ...IMPORT, "GET /api/target-groups/upload/{transactionId}/search", "POST /api/target-users/{transactionId}/search/export")) return;
  await openPage("Import Users", "Import Target Users");
  await page.getByLabel("Spreadsheet file").setInputFiles(env("LATCHKEY_WORKBOOK"));
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByRole("heading", { name: "Map the file's columns to fields" }).waitFor();
  assert.equal(await page.getByLabel("Sheet").inputValue(), "Staff");
  assert.equal(await page.getByLabel("Email (required)").inputValue(), "Email");
  await page.getByLabel("Sheet").selectOption("Contractors");
  await page.getByLabel("Email (required)").locator("option", { hasText: /^Mail$/ }).waitFor({ state: "attached" });
  assert.equal(await page.getByLabel("Email (required)").inputValue(), "", "the other sheet has no column called Email");
  await page.getByLabel("Email (required)").selectOption("Mail");
  assert.equal(await page.getByLabel("Cost Center (required)").inputValue(), "Cost Center");
  await shot("36-import-second-sheet");
  await page.getByRole("button", { name: "Map Fields" }).click();
  await page.getByRole("heading", { name: "Preview" }).waitFor();
  await page.locator(".counts").getByText("Existing").waitFor();
  assert.match(await page.locator(".counts").textContent(), /1\s*New.*1\s*Existing.*0\s*Invalid/);

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export Rows" }).click()]);
  const exported = await readFile(await download.path(), "utf8");
  assert.match(exported, /^Row,Status,Email/);
  assert.match(exported, /New,contractor\.one@northwind\.example,Contractor/);
  assert.match(exported, /Exists,employee01@northwind\.example,Renamed/);

  await page.getByRole("button", { name: "Import New Only" }).click();
  await page.getByText("The import has finished.").waitFor();
  await page.getByRole("link", { name: "Go to Target Users" }).click();
  const search = async (text) => {
    await page.getByLabel("Search target users").fill(text);
    await page.getByRole("button", { name: "Search" }).click();
  };
  await search("contractor.one");
  await row("data-user", "contractor.one@northwind.example").waitFor();
  await search("employee01@");
  await row("data-user", "employee01@northwind.example").waitFor();
  assert.doesNotMatch(await row("data-user", "employee01@northwind.example").textContent(), /Renamed/, "an existing user is left as it is");
  await search("staff.one");
  await page.locator("tr[data-user]").first().waitFor({ state: "detached" });
  assert.equal(await row("data-user", "staff.one@northwind.example").count(), 0, "the first sheet was not imported");
});
