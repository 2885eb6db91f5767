// Single sign-on from headless Chromium against a real OpenID Connect
// provider (oidc-provider, started by the Rust test): the sign-in page's
// button, the provider's round trip, the home page signed in; then signing
// out, and out of the provider too with the link the sign-in page offers.
// Run by crates/web/tests/browser.rs (BUCKETDESK_BROWSER_TEST holds the config).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const config = JSON.parse(process.env.BUCKETDESK_BROWSER_TEST);
mkdirSync(config.artifacts, { recursive: true });
const shot = (page, name) => page.screenshot({ path: join(config.artifacts, `${name}.png`), fullPage: true });
const expect = (condition, message) => { if (!condition) throw new Error(message); };

const browser = await chromium.launch({
  executablePath: config.chromium,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-quic", "--no-first-run"],
});
let page;
try {
  // the sign-in page on a phone in the dark, and on a desktop in the light
  const looks = [];
  for (const [size, viewport] of [["phone", { width: 390, height: 844 }], ["desktop", { width: 1440, height: 900 }]]) {
    for (const scheme of ["light", "dark"]) looks.push([`${size}-${scheme}`, viewport, scheme]);
  }
  for (const [name, viewport, scheme] of looks) {
    const context = await browser.newContext({ viewport, colorScheme: scheme });
    const look = await context.newPage();
    await look.goto(`${config.base}/login`);
    await shot(look, `sign-in-${name}`);
    const wide = await look.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    expect(!wide, `the sign-in page fits a ${name} screen`);
    await context.close();
  }

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  await page.goto(`${config.base}/login`);
  await Promise.all([
    page.waitForURL(`${config.base}/`),
    page.getByRole("link", { name: "Sign in with Test IdP" }).click(),
  ]);
  const account = await page.locator(".facts").first().textContent();
  expect(account.includes(config.email), `signed in as ${config.email}: ${account}`);
  expect(account.includes("Test IdP, as"), `the account lists its single sign-on: ${account}`);
  await shot(page, "signed-in");
  // the account page with its single sign-on, on a phone in the dark
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  await shot(page, "signed-in-phone-dark");
  expect(!(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)), "the account page fits a phone");
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: "light" });

  await Promise.all([page.waitForURL(/\/login\?signed_out=1$/), page.getByRole("button", { name: "Sign out", exact: true }).first().click()]);
  const out = page.getByRole("link", { name: "Also sign out of Test IdP" });
  expect(await out.count() === 1, "the sign-in page offers to sign out of the provider");
  expect((await out.getAttribute("href")).includes("id_token_hint="), "with the sign-in's ID token as the hint");
  await shot(page, "signed-out");
  await out.click();
  // the provider asks to confirm, then sends the browser back here
  await page.locator("button[autofocus], button[type=submit]").first().click();
  await page.waitForURL(/\/login\?signed_out=1/);
  const back = await page.goto(`${config.base}/`);
  expect(page.url().startsWith(`${config.base}/login`), `signed out of bucketdesk: ${page.url()} (${back.status()})`);
  console.log("passed");
} catch (error) {
  if (page) await shot(page, "failure").catch(() => {});
  console.error(error);
  process.exitCode = 1;
} finally {
  await browser.close();
}
