// Swagger UI at /docs in a real browser: Authorize with a client id and secret (the OAuth2
// client-credentials flow against this server's /connect/token), then "Try it out" on
// GET /api/companies/my.
//
// Environment (set by the Rust test `console_browser`): LATCHKEY_BASE_URL, LATCHKEY_CLIENT_ID,
// LATCHKEY_CLIENT_SECRET, LATCHKEY_RESELLER_ID, LATCHKEY_ARTIFACTS, CHROMIUM.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (this script is started by the console_browser test)`);
  return value;
};
const base = env("LATCHKEY_BASE_URL");
const artifacts = env("LATCHKEY_ARTIFACTS");

let browser;
let page;

before(async () => {
  await mkdir(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on("pageerror", (e) => console.error("page error:", e));
});

after(async () => {
  await browser?.close();
});

test("Authorize with client credentials, then Try it out on GET /api/companies/my", async () => {
  await page.goto(`${base}/docs`);
  await page.getByRole("button", { name: "Authorize" }).first().click();
  const modal = page.locator(".modal-ux");
  await modal.waitFor();
  const oauth = modal.locator(".auth-container").filter({ hasText: "clientCredentials" });
  await oauth.locator("input[id^='client_id']").fill(env("LATCHKEY_CLIENT_ID"));
  await oauth.locator("input[id^='client_secret']").fill(env("LATCHKEY_CLIENT_SECRET"));
  // The scope checkbox is drawn by its label.
  await oauth.locator("label[for$='clientCredentials-checkbox-oauth2']").first().click();
  await oauth.getByRole("button", { name: "Apply given OAuth2 credentials" }).click();
  // Swagger UI fetched a token from /connect/token: the form now offers to log out.
  await oauth.getByRole("button", { name: "Remove authorization" }).waitFor();
  await page.screenshot({ path: `${artifacts}/10-docs-authorized.png` });
  await modal.locator("button.close-modal").click();

  // Tags start collapsed: open the Company tag first.
  await page.locator("#operations-tag-Company").click();
  const operation = page.locator(".opblock").filter({ has: page.locator(".opblock-summary-path[data-path='/api/companies/my']") });
  await operation.locator(".opblock-summary").click();
  // /docs opens operations ready to try (tryItOutEnabled); otherwise press "Try it out" first.
  const tryIt = operation.getByRole("button", { name: "Try it out" });
  if (await tryIt.count()) await tryIt.click();
  await operation.getByRole("button", { name: "Execute" }).click();
  const status = operation.locator(".live-responses-table tr.response td.response-col_status").first();
  await status.waitFor();
  assert.equal((await status.textContent()).trim(), "200");
  const body = await operation.locator(".live-responses-table .microlight").first().textContent();
  assert.ok(body.includes(env("LATCHKEY_RESELLER_ID")), `the response names the client's company: ${body}`);
  await page.screenshot({ path: `${artifacts}/11-docs-try-it-out.png`, fullPage: false });
});
