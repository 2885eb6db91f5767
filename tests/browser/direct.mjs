// Direct uploads from headless Chromium: the Owner opens the bucket's
// direct-upload settings, sees that its CORS rules block this site, saves
// the rule bucketdesk needs and turns direct uploads on; then a 40 MB file
// is uploaded from the bucket page and every one of its parts goes to the
// S3 port, none to bucketdesk (the requests are counted here; the Rust test
// counts the bytes each side received).
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
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addCookies([{ name: "bucketdesk_session", value: config.owner_cookie, url: config.base }]);
  page = await context.newPage();
  page.on("dialog", (dialog) => { console.log(`dialog: ${dialog.message()}`); dialog.accept(); });

  // 1. the settings say the bucket's rules block this site, and show the fix
  await page.goto(`${config.base}${config.bucket}/settings`);
  await page.getByRole("link", { name: /set up direct uploads/ }).click();
  await page.waitForSelector("h1:text('Direct uploads')");
  const facts = await page.locator(".facts").textContent();
  expect(/Do not allow\s+uploads from/.test(facts), `the check says the rules block this site: ${facts}`);
  const proposed = JSON.parse(await page.locator("[data-cors-proposed]").textContent());
  expect(proposed.some((rule) => rule.AllowedOrigins.includes(config.base) && rule.AllowedMethods.includes("PUT")),
    `the rule shown allows this site to PUT: ${JSON.stringify(proposed)}`);
  expect(await page.getByRole("button", { name: "Turn direct uploads on" }).isDisabled(), "cannot turn on yet");
  await shot(page, "1-cors-blocks");

  // 2. one click saves the rule; then direct uploads go on
  await page.getByRole("button", { name: "Save these rules to the bucket" }).click();
  await page.waitForSelector(".notice:text('The rules were saved to the bucket.')");
  expect(/Allow\s+uploads from/.test(await page.locator(".facts").textContent()), "the rules allow this site now");
  await page.getByRole("button", { name: "Turn direct uploads on" }).click();
  await page.waitForSelector(".notice:text('Direct uploads are on.')");
  await shot(page, "2-direct-uploads-on");

  // 3. a file of five chunks: its parts go to the S3 port
  const s3 = new URL(config.s3).origin;
  const toS3 = [];
  const toBucketdesk = [];
  page.on("requestfinished", async (request) => {
    const url = new URL(request.url());
    const response = await request.response();
    if (url.origin === s3 && request.method() === "PUT") toS3.push([url.searchParams.get("partNumber"), response.status()]);
    if (url.origin === config.base && /\/chunks\/\d+$/.test(url.pathname)) toBucketdesk.push(url.pathname);
  });
  await page.goto(`${config.base}${config.bucket}`);
  await page.locator("input[data-upload-files]:not([webkitdirectory])").setInputFiles(config.file);
  await page.waitForURL(/done=uploaded/, { timeout: 120000 });
  await shot(page, "3-uploaded");
  console.log(`parts sent to the bucket: ${JSON.stringify(toS3)}; chunks sent to bucketdesk: ${toBucketdesk.length}`);
  expect(toS3.length === 5 && toS3.every(([, status]) => status === 200), `five parts went to the bucket: ${JSON.stringify(toS3)}`);
  expect(new Set(toS3.map(([n]) => n)).size === 5, "each part once");
  expect(toBucketdesk.length === 0, `no chunk went through bucketdesk: ${toBucketdesk}`);
  console.log("passed");
} catch (error) {
  if (page) await shot(page, "failure").catch(() => {});
  console.error(error);
  process.exitCode = 1;
} finally {
  await browser.close();
}
