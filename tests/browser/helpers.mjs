// What the browser scripts share: the environment the Rust test passes, launching Debian's
// Chromium, screenshots, the axe-core check, and signing in through a set-password link.

import assert from "node:assert/strict";
import { readFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { test as nodeTest } from "node:test";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);

/** A variable the Rust test must have set. */
export function env(name) {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (this script is started by the console_browser test)`);
  return value;
}

/** Chromium, headless, and one page in a fresh context. */
export async function launch() {
  await mkdir(env("LATCHKEY_ARTIFACTS"), { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e));
  return { browser, context, page };
}

/** Keeps a full-page screenshot as `<artifacts>/<name>.png`. */
export async function shot(page, name) {
  await page.screenshot({ path: `${env("LATCHKEY_ARTIFACTS")}/${name}.png`, fullPage: true });
}

/** Runs axe-core on the current page; fails on any serious or critical violation. */
export async function accessible(page, name) {
  // A list that is reloading is drawn faded; the check is of the page at rest.
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  const source = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(source);
  const result = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    [],
    `accessibility violations on ${name}`,
  );
}

/** Sets a password through a one-time link, then signs in with it. */
export async function setPasswordAndSignIn(page, link, email, secret) {
  await page.goto(link);
  await page.getByRole("heading", { name: "Set your password" }).waitFor();
  await page.getByLabel("New password", { exact: true }).fill(secret);
  await page.getByLabel("Confirm new password").fill(secret);
  await page.getByRole("button", { name: "Save password" }).click();
  await page.getByText("Your password is set").waitFor();
  assert.equal(new URL(page.url()).search, "", "the spent token is gone from the address bar");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/**
 * `node:test`'s `test` for steps that build on each other: a step that fails leaves a
 * screenshot of where it stopped. `page()` gives the page the script drives.
 */
export function stepsOn(page) {
  return (name, body) => nodeTest(name, async (t) => {
    try {
      await body(t);
    } catch (error) {
      await shot(page(), `failed-${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}`).catch(() => {});
      throw error;
    }
  });
}
