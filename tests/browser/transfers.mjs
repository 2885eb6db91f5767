// Large uploads from headless Chromium through nginx with a 100 MB request
// limit: a file far above the limit goes a chunk at a time and arrives; one
// whose connection is cut (the proxy stopped, then started again) resumes
// by itself; one interrupted by a reload resumes when the same file is
// picked again. Chunk requests are counted: none is sent again beyond
// those in flight when the connection broke or the page reloaded.
// Run by crates/web/tests/browser.rs (BUCKETDESK_BROWSER_TEST holds the config).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const config = JSON.parse(process.env.BUCKETDESK_BROWSER_TEST);
mkdirSync(config.artifacts, { recursive: true });
const shot = (page, name) => page.screenshot({ path: join(config.artifacts, `${name}.png`), fullPage: true });
const expect = (condition, message) => { if (!condition) throw new Error(message); };
const control = (what) => fetch(`${config.control}/${what}`).then((r) => { expect(r.ok, `the test could not ${what} the proxy`); });

const browser = await chromium.launch({
  executablePath: config.chromium,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-quic", "--no-first-run"],
});
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addCookies([{ name: "bucketdesk_session", value: config.editor_cookie, url: config.base }]);
  page = await context.newPage();
  page.on("dialog", (dialog) => { console.log(`dialog: ${dialog.message()}`); dialog.accept(); });
  // chunk requests by outcome: number → [statuses] (0 for a broken connection)
  let chunks = new Map();
  const chunkNumber = (url) => Number(new URL(url).pathname.split("/").pop());
  // chunks whose request is under way
  const inFlight = new Set();
  // chunks asked for while the proxy is down: such a try connects to nothing and sends nothing
  let down = false;
  const triedWhileDown = new Set();
  page.on("request", (request) => {
    if (!request.url().includes("/chunks/")) return;
    inFlight.add(chunkNumber(request.url()));
    if (down) triedWhileDown.add(chunkNumber(request.url()));
  });
  page.on("requestfinished", async (request) => {
    if (!request.url().includes("/chunks/")) return;
    inFlight.delete(chunkNumber(request.url()));
    const response = await request.response();
    const n = chunkNumber(request.url());
    chunks.set(n, [...(chunks.get(n) || []), response ? response.status() : 0]);
  });
  page.on("requestfailed", (request) => {
    if (!request.url().includes("/chunks/")) return;
    const n = chunkNumber(request.url());
    inFlight.delete(n);
    chunks.set(n, [...(chunks.get(n) || []), 0]);
  });
  const landed = () => Array.from(chunks.values()).filter((s) => s.includes(200)).length;
  const sent = () => Array.from(chunks.values()).reduce((a, s) => a + s.length, 0);
  const input = () => page.locator("input[data-upload-files]:not([webkitdirectory])");
  const bucketPage = config.base + config.bucket;
  const waitForLanded = async (count) => {
    const deadline = Date.now() + 120000;
    while (landed() < count) { expect(Date.now() < deadline, `only ${landed()} chunks landed`); await page.waitForTimeout(100); }
  };
  const finished = () => page.waitForURL(/done=uploaded/, { timeout: 600000 });

  // 1. far above the proxy's limit
  await page.goto(bucketPage);
  let started = Date.now();
  await input().setInputFiles(config.files.big);
  await page.waitForSelector("[data-uploads]:not([hidden])");
  await page.waitForTimeout(1500);
  await shot(page, "1-uploading");
  await finished();
  console.log(`the big file: ${sent()} chunk requests in ${(Date.now() - started) / 1000} s`);
  expect(Array.from(chunks.values()).every((s) => s.length === 1 && s[0] === 200), `each chunk once: ${JSON.stringify([...chunks])}`);

  // 2. the connection is cut (the proxy stops) after some chunks, then comes back
  chunks = new Map();
  await page.goto(bucketPage);
  await input().setInputFiles(config.files.cut);
  await waitForLanded(5);
  const cutOff = new Set(inFlight);
  down = true;
  await control("stop");
  const sentWhenCut = sent();
  await page.waitForFunction(() => document.querySelector("[data-upload-list]").textContent.includes("trying again"), null, { timeout: 30000 });
  await shot(page, "2-connection-lost");
  await page.waitForTimeout(2000);
  await control("start");
  down = false;
  await finished();
  const again = Array.from(chunks.entries()).filter(([, s]) => s.filter((x) => x === 200).length > 1);
  expect(again.length === 0, `no chunk landed twice: ${JSON.stringify(again)}`);
  // while the proxy is down, tries fail to connect and send nothing; a
  // chunk is tried more than once only when it was in flight at the cut
  const retried = Array.from(chunks.entries()).filter(([, s]) => s.length > 1).map(([n]) => n);
  console.log(`after the cut: ${sent()} chunk requests for ${chunks.size} chunks (${sentWhenCut} before the cut); tried again: ${retried}, in flight at the cut: ${[...cutOff]}`);
  expect(cutOff.size <= 2, `at most two chunks in flight: ${[...cutOff]}`);
  expect(retried.every((n) => cutOff.has(n) || triedWhileDown.has(n)),
    `only the chunks in flight when the connection broke (or asked for while it was down) were tried again: ${JSON.stringify([...chunks])}`);

  // 3. a reload in the middle, then the same file picked again
  chunks = new Map();
  await page.goto(bucketPage);
  await input().setInputFiles(config.files.reload);
  await waitForLanded(5);
  const before = landed();
  await page.reload();
  await page.waitForSelector("[data-unfinished]:not([hidden])");
  await shot(page, "3-unfinished-after-reload");
  const unfinished = await page.locator("[data-unfinished]").textContent();
  expect(unfinished.includes("reload.bin"), `the unfinished upload is listed: ${unfinished}`);
  const landedBefore = new Set(Array.from(chunks.entries()).filter(([, s]) => s.includes(200)).map(([n]) => n));
  chunks = new Map();
  await input().setInputFiles(config.files.reload);
  await finished();
  const resent = Array.from(chunks.keys()).filter((n) => landedBefore.has(n));
  console.log(`after the reload: ${before} chunks had landed; ${sent()} requests since, none for ${resent.length ? resent : "any landed chunk"}`);
  expect(resent.length === 0, `chunks that had landed were not sent again: ${resent}`);
  console.log("passed");
} catch (error) {
  if (page) await shot(page, "failure").catch(() => {});
  console.error(error);
  process.exitCode = 1;
} finally {
  await browser.close();
}
