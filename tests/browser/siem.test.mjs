// The SIEM Integrations and Audit Log pages in Chromium.
//
// Started by the Rust integration test `the_siem_and_audit_log_pages_work_in_chromium`, which
// runs a fresh server and a syslog receiver (TCP) it reads from. Environment:
//
//   LATCHKEY_BASE_URL          the server
//   LATCHKEY_ADMIN_LINK        set-password link of the platform administrator
//   LATCHKEY_ADMIN_EMAIL       that administrator's email
//   LATCHKEY_SIEM_PORT         a TCP port on 127.0.0.1 where a syslog receiver listens
//   LATCHKEY_SIEM_CLOSED_PORT  a TCP port on 127.0.0.1 where nothing listens
//   LATCHKEY_ARTIFACTS         directory for screenshots
//
// The steps build on each other and run in order.

import { before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { env, launch, shot as keep, accessible as axe, setPasswordAndSignIn, stepsOn } from "./helpers.mjs";

const port = env("LATCHKEY_SIEM_PORT");
const closedPort = env("LATCHKEY_SIEM_CLOSED_PORT");
const password = "siem pages passphrase 2026";

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
const row = (name) => page.locator(`tr[data-siem="${name}"]`);
const focused = () => page.evaluate(() => document.activeElement && document.activeElement.id);
const testResult = () => page.locator("#siem-test-result");

async function openPage(name, heading = name) {
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name, exact: true }).click();
  await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
}

/** Presses Tab (or Shift+Tab) until the element `id` has the focus, at most `limit` times. */
async function tabTo(id, { back = false, limit = 12 } = {}) {
  for (let n = 0; n < limit; n += 1) {
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
    if (await focused() === id) return n + 1;
  }
  assert.fail(`${id} is not reached with the keyboard within ${limit} presses`);
}

test("the administrator signs in and sees both pages in the navigation", async () => {
  await setPasswordAndSignIn(page, env("LATCHKEY_ADMIN_LINK"), env("LATCHKEY_ADMIN_EMAIL"), password);
  const nav = page.getByRole("navigation", { name: "Console" });
  for (const name of ["SIEM Integrations", "Audit Log"]) {
    assert.equal(await nav.getByRole("link", { name, exact: true }).count(), 1, `${name} is in the navigation`);
  }
});

test("SIEM: a syslog TCP integration is tested (refused, then received) and created from the keyboard", async () => {
  await openPage("SIEM Integrations");
  await page.getByText("No SIEM integrations yet").waitFor();
  await accessible("siem-empty");
  await page.getByRole("link", { name: "+ NEW" }).click();
  await page.getByRole("heading", { name: "New SIEM integration" }).waitFor();
  assert.equal(await focused(), "siem-name", "the form starts at the name");

  // Splunk is the default type: its fields show, the syslog ones do not.
  assert.equal(await page.getByLabel("HEC URL").isVisible(), true);
  assert.equal(await page.getByLabel("Server Address").isVisible(), false);
  await accessible("siem-new-splunk");

  await page.getByLabel("Integration Name").fill("Syslog TCP");
  await page.getByLabel("Integration Type").selectOption({ label: "Syslog" });
  assert.equal(await page.getByLabel("HEC URL").isVisible(), false, "the Splunk fields are hidden for syslog");
  await page.getByLabel("Server Address").fill("127.0.0.1");
  await page.getByLabel("Port").fill(closedPort);
  await page.getByLabel("Connection Type").selectOption("TLS");
  assert.equal(await page.getByLabel("CA certificate (PEM, optional)").isVisible(), true, "TLS offers a CA certificate");
  await page.getByLabel("Connection Type").selectOption("TCP");
  assert.equal(await page.getByLabel("CA certificate (PEM, optional)").isVisible(), false);
  const advanced = page.locator("details.advanced");
  await advanced.locator("summary").click();
  assert.equal(await page.getByLabel("CEF Device Vendor").inputValue(), "Keepnet Labs");
  assert.equal(await page.getByLabel("CEF Device Product").inputValue(), "Latchkey");

  // Test Connection is reached with the keyboard from the last field and answers in a live region.
  await page.getByLabel("CEF Device Product").focus();
  await tabTo("siem-test");
  assert.equal(await testResult().getAttribute("aria-live"), "polite");
  await page.keyboard.press("Enter");
  await testResult().locator(".notice.error").waitFor();
  assert.match(await testResult().innerText(), /The test event was not delivered/);
  assert.equal(await focused(), "siem-test", "the focus stays on the button");
  await shot("60-siem-test-refused");

  await page.getByLabel("Port").fill(port);
  assert.equal(await testResult().innerText(), "", "a result about another destination is cleared");
  await page.getByRole("button", { name: "Test Connection" }).click();
  await testResult().locator(".notice.success").waitFor();
  assert.match(await testResult().innerText(), /The test event was sent/);
  await accessible("siem-new-syslog");
  await shot("61-siem-test-sent");

  // Save is reached from Test Connection with Shift+Tab and submits with Enter.
  await page.getByRole("button", { name: "Test Connection" }).focus();
  await tabTo("siem-save", { back: true, limit: 2 });
  await page.keyboard.press("Enter");
  await flash('SIEM integration "Syslog TCP" was created.');
  await row("Syslog TCP").waitFor();
  const cells = await row("Syslog TCP").innerText();
  assert.match(cells, /Syslog/);
  assert.match(cells, /Active/);
  assert.match(cells, /waiting/, "the delivery shows its backlog");
});

test("SIEM: a Splunk integration keeps its token, shows Retrying, and is deleted after confirmation", async () => {
  await page.getByRole("link", { name: "+ NEW" }).click();
  await page.getByRole("heading", { name: "New SIEM integration" }).waitFor();
  await page.getByLabel("Integration Name").fill("Splunk HEC");
  await page.getByLabel("HEC URL").fill("not a url");
  await page.getByLabel("Secret Token").fill("hec-secret-token-0001");
  await page.getByRole("button", { name: "Create" }).click();
  // The API's message is shown at the field it names.
  await page.locator("#siem-apiUrl-error").waitFor();
  assert.match(await page.locator("#siem-apiUrl-error").innerText(), /must be an http:\/\/ or https:\/\/ URL/);
  assert.equal(await page.getByLabel("HEC URL").getAttribute("aria-invalid"), "true");
  await shot("62-siem-refused");
  await page.getByLabel("HEC URL").fill(`http://127.0.0.1:${closedPort}/services/collector/event`);
  await page.getByRole("button", { name: "Create" }).click();
  await flash('SIEM integration "Splunk HEC" was created.');

  // Nothing listens at the collector's port: forwarding fails and is retried.
  for (let n = 0; n < 20; n += 1) {
    if (/Retrying/.test(await row("Splunk HEC").innerText())) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
    await row("Splunk HEC").waitFor();
  }
  const retrying = await row("Splunk HEC").innerText();
  assert.match(retrying, /Retrying/);
  assert.match(retrying, /Last error: /);
  assert.match(retrying, /next attempt/);
  await accessible("siem-list");
  await shot("63-siem-list");

  await row("Splunk HEC").getByRole("link", { name: "Edit Splunk HEC" }).click();
  await page.getByRole("heading", { name: "Edit SIEM integration Splunk HEC" }).waitFor();
  await page.getByText("A token is set; leave empty to keep it.").waitFor();
  assert.equal(await page.getByLabel("Secret Token").inputValue(), "", "the token is never shown");
  assert.match(await page.locator("dl[data-delivery]").innerText(), /Retrying/);
  // Tested with the stored token (the field is empty): the collector is still unreachable.
  await page.getByRole("button", { name: "Test Connection" }).click();
  await testResult().locator(".notice.error").waitFor();
  assert.match(await testResult().innerText(), /not delivered/);
  await accessible("siem-edit");
  await shot("64-siem-edit");

  await page.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete SIEM integration?" });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await page.getByRole("heading", { name: "Edit SIEM integration Splunk HEC" }).count(), 1, "cancel keeps it");
  await page.getByRole("button", { name: "Delete" }).click();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await flash('SIEM integration "Splunk HEC" was deleted.');
  await row("Syslog TCP").waitFor();
  assert.equal(await row("Splunk HEC").count(), 0);
});

test("SIEM: the saved syslog integration opens with its values", async () => {
  await row("Syslog TCP").getByRole("link", { name: "Edit Syslog TCP" }).click();
  await page.getByRole("heading", { name: "Edit SIEM integration Syslog TCP" }).waitFor();
  assert.equal(await page.getByLabel("Integration Type").inputValue(), "2");
  assert.equal(await page.getByLabel("Port").inputValue(), port);
  assert.equal(await page.getByLabel("Connection Type").inputValue(), "TCP");
  await page.getByRole("button", { name: "Test Connection" }).click();
  await testResult().locator(".notice.success").waitFor();
  await page.getByRole("link", { name: "Cancel" }).click();
  await page.getByRole("heading", { name: "SIEM Integrations", level: 1 }).waitFor();
});

test("Audit Log: the SIEM changes are listed, filtered by operation, expanded and exported", async () => {
  await openPage("Audit Log");
  const records = page.locator('tr[data-entity="SiemSetting"]');
  await records.first().waitFor();
  assert.equal(await page.locator('tr[data-entity="SiemSetting"][data-operation="Create"]').count(), 2, "both creations are recorded");
  for (const title of ["Log Date", "User Name", "Entity Name", "Operation", "Changed Set", "New Value", "IP", "Browser User Agent"]) {
    assert.equal(await page.getByRole("columnheader", { name: title }).count(), 1, `column ${title}`);
  }
  await accessible("audit-log");

  // A creation's new value is long: cut short, with the whole value behind a disclosure.
  const created = page.locator('tr[data-entity="SiemSetting"][data-operation="Create"]')
    .filter({ has: page.locator("pre", { hasText: "Splunk HEC" }) });
  const summary = created.locator("details.long-value summary").first();
  await summary.focus();
  await page.keyboard.press("Enter");
  const full = created.locator("details.long-value[open] pre").first();
  await full.waitFor();
  assert.match(await full.innerText(), /Splunk HEC/);
  assert.doesNotMatch(await full.innerText(), /hec-secret-token-0001/, "the token is never recorded");
  await accessible("audit-log-expanded");
  await shot("65-audit-log");

  await page.getByLabel("Operation").selectOption("Delete");
  // The unfiltered list has a deletion too: wait for the filtered one to be drawn.
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll("tbody tr[data-operation]")];
    return !document.querySelector('[aria-busy="true"]') && rows.length > 0
      && rows.every((r) => r.dataset.operation === "Delete");
  });
  const deleted = page.locator('tr[data-entity="SiemSetting"][data-operation="Delete"]');
  await deleted.waitFor();
  const operations = await page.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.operation));
  assert.ok(operations.length >= 1 && operations.every((o) => o === "Delete"), `only deletions: ${operations}`);
  assert.match(await deleted.innerText(), /Splunk HEC/, "the changed set is the state before");
  await shot("66-audit-log-deletions");

  await page.getByLabel("Entity Name").fill("SiemSetting");
  await page.getByLabel("Operation").selectOption("");
  // From yesterday, so that a run across midnight (UTC) still finds this run's records.
  await page.getByLabel("Logged from (UTC)").fill(new Date(Date.now() - 86_400_000).toISOString().slice(0, 10));
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText("Page 1 of 1 · 3 records").waitFor();

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export CSV" }).click(),
  ]);
  assert.match(download.suggestedFilename(), /\.csv$/);
  const csv = await readFile(await download.path(), "utf8");
  assert.match(csv, /Log Date/);
  assert.match(csv, /SiemSetting/);
  assert.doesNotMatch(csv, /TargetUser/, "the export carries the filter");
  await page.getByText("Export downloaded.").waitFor();
});
