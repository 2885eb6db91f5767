// A bucket in proxy mode (its storage unreachable for browsers): a
// recording's preview plays from bucketdesk's own address, and seeking asks
// for a byte range that bucketdesk passes on to S3 (206 Partial Content).
// Run by crates/web/tests/browser.rs (BUCKETDESK_BROWSER_TEST holds the config).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const config = JSON.parse(process.env.BUCKETDESK_BROWSER_TEST);
mkdirSync(config.artifacts, { recursive: true });
const expect = (condition, message) => { if (!condition) throw new Error(message); };

const browser = await chromium.launch({
  executablePath: config.chromium,
  args: ["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required", "--no-first-run"],
});
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addCookies([{ name: "bucketdesk_session", value: config.editor_cookie, url: config.base }]);
  page = await context.newPage();
  const answers = [];
  page.on("response", (response) => {
    if (!response.url().includes("/preview?")) return;
    answers.push({ status: response.status(), range: response.request().headers().range || "", contentRange: response.headers()["content-range"] || "" });
  });
  await page.goto(`${config.base}${config.bucket}/object?key=${encodeURIComponent(config.key)}`);
  const media = page.locator("audio, video");
  expect(new URL(await media.getAttribute("src"), config.base).pathname.endsWith("/preview"), "the preview is on bucketdesk's address");
  await page.waitForFunction(() => { const m = document.querySelector("audio, video"); return m && m.readyState >= 1 && m.duration > 50; }, null, { timeout: 20000 });
  await page.evaluate(() => { document.querySelector("audio, video").currentTime = 55; });
  await page.waitForFunction(() => { const m = document.querySelector("audio, video"); return !m.seeking && m.currentTime >= 54.9; }, null, { timeout: 20000 });
  await page.screenshot({ path: join(config.artifacts, "sought.png") });
  const seek = answers.find((a) => a.status === 206 && /^bytes=[1-9]/.test(a.range));
  console.log(`preview answers: ${JSON.stringify(answers)}`);
  expect(seek, `seeking asked for a range past the start and got 206: ${JSON.stringify(answers)}`);
  expect(/^bytes \d+-\d+\/\d+$/.test(seek.contentRange), `a Content-Range: ${seek.contentRange}`);
  console.log("passed");
} catch (error) {
  if (page) await page.screenshot({ path: join(config.artifacts, "failure.png") }).catch(() => {});
  console.error(error);
  process.exitCode = 1;
} finally {
  await browser.close();
}
