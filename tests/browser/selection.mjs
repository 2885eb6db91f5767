// The bucket page's listing in headless Chromium, as an Editor: selecting
// (a box, Shift for a range, Ctrl to add, a plain click on a row for one),
// the selection bar that shows only while something is selected, the grid
// view remembered across pages, thumbnails, dragging a file onto a folder,
// a folder's menu and rename, and at most three uploads at once.
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
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addCookies([{ name: "bucketdesk_session", value: config.editor_cookie, url: config.base }]);
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error" && !m.text().includes("status of 4")) errors.push(m.text()); });
  const folder = config.base + config.bucket + "?path=docs%2F";
  // layout shifts are recorded from the start of every page of this context
  await context.addInitScript(() => {
    window.layoutShift = 0;
    window.shifted = [];
    new PerformanceObserver((list) => {
      list.getEntries().forEach((entry) => {
        if (entry.hadRecentInput) return;
        window.layoutShift += entry.value;
        window.shifted.push(...entry.sources.map((s) => s.node && `${s.node.nodeName}.${s.node.className}`));
      });
    }).observe({ type: "layout-shift", buffered: true });
  });
  // the thumbnail is held back until the page has settled, then let through
  let letThrough;
  const held = new Promise((resolve) => { letThrough = resolve; });
  await page.route("**/thumbnail?**", async (route) => { await held; await route.continue(); });
  await page.goto(folder);
  const bar = page.locator("[data-selection-bar]");
  const checked = () => page.$$eval("[data-select]:checked", (boxes) => boxes.map((b) => b.value));
  expect(await bar.isHidden(), "no selection bar while nothing is selected");

  // the image's thumbnail arrives in a box sized beforehand: nothing moves
  await page.waitForTimeout(800);
  const before = await page.evaluate(() => window.layoutShift);
  console.log(`layout shift while the page loaded: ${before} ${await page.evaluate(() => window.shifted)}`);
  letThrough();
  const thumb = page.locator("tr[data-key='docs/cat.jpg'] img.thumb");
  await page.waitForFunction(() => {
    const img = document.querySelector("tr[data-key='docs/cat.jpg'] img.thumb");
    return img && img.complete && img.naturalWidth > 0;
  });
  expect(await thumb.evaluate((img) => img.naturalWidth) === 320, "the server's 320-pixel thumbnail");
  await page.waitForTimeout(300);
  const shift = (await page.evaluate(() => window.layoutShift)) - before;
  expect(shift === 0, `nothing moves when the thumbnail arrives (layout shift ${shift}: ${await page.evaluate(() => window.shifted)})`);
  await page.unroute("**/thumbnail?**");

  // a box, then Shift on another: the range between them
  await page.check("tr[data-key='docs/a.txt'] [data-select]");
  await page.click("tr[data-key='docs/c.txt'] [data-select]", { modifiers: ["Shift"] });
  expect(JSON.stringify(await checked()) === JSON.stringify(["docs/a.txt", "docs/b.txt", "docs/c.txt"]),
    `Shift selects the range: ${await checked()}`);
  expect(await bar.isVisible(), "the bar shows while something is selected");
  expect((await page.textContent("[data-selection-count]")) === "3 files selected:", await page.textContent("[data-selection-count]"));
  await shot(page, "1-three-selected");
  // Ctrl adds a row; a plain click on a row selects it alone
  await page.click("tr[data-key='docs/cat.jpg'] td[data-label=Size]", { modifiers: ["Control"] });
  expect((await checked()).length === 4, `Ctrl adds: ${await checked()}`);
  await page.click("tr[data-key='docs/b.txt'] td[data-label=Size]");
  expect(JSON.stringify(await checked()) === JSON.stringify(["docs/b.txt"]), `a click selects one: ${await checked()}`);
  // one file selected: its details beside the list
  await page.locator("[data-details] h2", { hasText: "b.txt" }).waitFor();
  expect((await page.textContent("[data-details]")).includes("STANDARD"), "the panel shows the storage class");
  await shot(page, "1b-details-panel");
  // a folder in the selection: the links, which are for files, step aside
  await page.check("tr[data-key='docs/archive/'] [data-select]");
  expect((await page.textContent("[data-selection-count]")) === "1 file and 1 folder selected:", "files and folders counted");
  expect(await page.locator("[data-details]").isHidden(), "the details are for one file only");
  expect(await page.locator("[data-selection-bar] button:has-text('15-minute links')").isHidden(), "no links for folders");
  await page.click("[data-clear-selection]");
  expect((await checked()).length === 0 && await bar.isHidden(), "Clear empties the selection and hides the bar");

  // the grid view, remembered by the browser on the next page
  await page.click("[data-view=grid]");
  expect(await page.locator("html[data-view=grid] [data-listing]").count() === 1, "the grid view");
  await shot(page, "2-grid");
  await page.reload();
  expect(await page.locator("html[data-view=grid] [data-listing]").count() === 1, "still the grid after a reload");
  await page.waitForFunction(() => document.querySelector("tr[data-key='docs/cat.jpg'] img.thumb").complete);
  const big = await thumb.boundingBox();
  expect(big.width > 100, `a large thumbnail in the grid: ${JSON.stringify(big)}`);
  await page.click("[data-view=list]");
  expect(await page.locator("html[data-view=grid] [data-listing]").count() === 0, "back to the list");

  // a folder's menu has what a folder can do
  await page.locator("tr[data-key='docs/archive/'] a.folder").click({ button: "right" });
  const items = await page.$$eval("[data-menu] button:not([hidden])", (b) => b.map((i) => i.textContent));
  expect(JSON.stringify(items) === JSON.stringify(["Open", "Revocable link…", "Download as zip", "Rename or move…", "Delete…"]), `folder menu: ${items}`);
  // its zip downloads under the folder's name
  const [zip] = await Promise.all([page.waitForEvent("download"), page.locator("[data-menu-zip]").click()]);
  expect(zip.suggestedFilename() === "archive.zip", `the zip's name: ${zip.suggestedFilename()}`);
  await zip.cancel().catch(() => {});
  await page.keyboard.press("Escape");

  // dragging a file onto a folder moves it there
  await Promise.all([
    page.waitForURL(/done=moved/),
    page.locator("tr[data-key='docs/a.txt'] td[data-label=Size]").dragTo(page.locator("tr[data-key='docs/archive/'] a.folder")),
  ]);
  expect(await page.locator("tr[data-key='docs/a.txt']").count() === 0, "a.txt left the folder");
  await shot(page, "3-after-drag");

  // the folder's Rename: its own form, its progress while its 402 files
  // move (every text the progress panel showed is recorded), then the list
  // with the new name
  const progressSeen = [];
  await page.exposeFunction("reportMoveProgress", (text) => progressSeen.push(text));
  await page.addInitScript(() => {
    new MutationObserver(() => {
      const words = document.querySelector(".move-progress p");
      if (words && words.textContent !== window.lastMoveWords) {
        window.lastMoveWords = words.textContent;
        window.reportMoveProgress(words.textContent);
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await Promise.all([page.waitForNavigation(), page.click("tr[data-key='docs/archive/'] a:has-text('Rename')")]);
  await page.fill("#new_name", "old-stuff");
  await Promise.all([
    page.waitForURL(/done=renamed/),
    page.click("button:has-text('Rename')"),
    page.waitForSelector(".move-progress progress[max]", { timeout: 5000 }).then(() => shot(page, "4-moving")).catch(() => {}),
  ]);
  console.log(`the rename's progress: ${JSON.stringify(progressSeen)}`);
  expect(progressSeen[0] === "Moving: listing what moves…", `the progress shows at once: ${progressSeen}`);
  expect(progressSeen.some((t) => t === "Moving: all 402 files copied; removing them from the old place…"),
    `the progress counts every copy: ${progressSeen}`);
  await page.goto(folder);
  expect(await page.locator("tr[data-key='docs/old-stuff/']").count() === 1, "the folder has its new name");

  // five files at once: never more than three in flight
  let inFlight = 0;
  let most = 0;
  const sending = (r) => r.url().includes("/upload?key=") && !r.url().includes("check=1");
  page.on("request", (r) => { if (sending(r)) { inFlight += 1; most = Math.max(most, inFlight); } });
  const done = (r) => { if (sending(r)) inFlight -= 1; };
  page.on("requestfinished", done);
  page.on("requestfailed", done);
  await page.route("**/upload?key=**", async (route) => {
    if (!route.request().url().includes("check=1")) await new Promise((r) => setTimeout(r, 1200));
    await route.continue();
  });
  const files = [1, 2, 3, 4, 5].map((n) => ({ name: `batch-${n}.txt`, mimeType: "text/plain", buffer: Buffer.from(`file ${n}`) }));
  await Promise.all([
    page.waitForURL(/done=uploaded/, { timeout: 30000 }),
    page.setInputFiles("input[data-upload-files]:not([webkitdirectory])", files),
  ]);
  expect(most === 3, `at most three uploads at once, and three did run together: ${most}`);

  // a file's page: code coloured, ← and → through the folder as listed, an image at its real size
  await page.goto(folder);
  await Promise.all([page.waitForNavigation(), page.click("a.file >> text=main.rs")]);
  expect(await page.locator("pre.code .tok-k:has-text('fn')").count() > 0, "the code's keywords are coloured");
  expect(await page.locator("pre.code .tok-s").first().textContent() === '"hello"', "and its strings");
  await shot(page, "4-code-preview");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("ArrowLeft")]);
  expect(decodeURIComponent(page.url()).endsWith("key=docs/cat.jpg"), `← opens the file before: ${page.url()}`);
  const photo = page.locator(".preview img[data-zoom]");
  await page.waitForFunction(() => document.querySelector(".preview img[data-zoom]").complete);
  const fitted = await photo.boundingBox();
  await photo.click();
  const real = await photo.boundingBox();
  expect(fitted.height < 900 * 0.71 && Math.round(real.width) === 1202, `a click shows the real size (1,200 pixels and its border): ${fitted.width} → ${real.width}`);
  await shot(page, "5-image-zoomed");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("ArrowRight")]);
  expect(decodeURIComponent(page.url()).endsWith("key=docs/main.rs"), `→ opens the file after: ${page.url()}`);

  // the sidebar: hidden with its button on a wide screen (remembered), a drawer on a phone
  const sidebar = page.locator("[data-sidebar]");
  expect(await sidebar.isVisible() && (await sidebar.textContent()).includes("Photos"), "the sidebar lists the bucket");
  await page.click("[data-sidebar-toggle]");
  expect(await sidebar.isHidden(), "the button hides the sidebar");
  await page.reload();
  expect(await sidebar.isHidden(), "still hidden on the next page");
  await page.click("[data-sidebar-toggle]");
  expect(await sidebar.isVisible(), "and shown again");
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await phone.addCookies([{ name: "bucketdesk_session", value: config.editor_cookie, url: config.base }]);
  const ppage = await phone.newPage();
  await ppage.goto(folder);
  const drawer = ppage.locator("[data-sidebar]");
  expect(await drawer.isHidden(), "on a phone the sidebar waits behind its button");
  await ppage.click("[data-sidebar-toggle]");
  expect(await drawer.isVisible(), "the button opens the drawer");
  expect(await ppage.getAttribute("[data-sidebar-toggle]", "aria-expanded") === "true", "and says so");
  expect(await ppage.evaluate(() => document.activeElement.closest("[data-sidebar]") !== null), "the focus goes into the drawer");
  await shot(ppage, "6-phone-drawer");
  await ppage.keyboard.press("Escape");
  expect(await drawer.isHidden(), "Escape closes it");
  expect(await ppage.evaluate(() => document.activeElement.matches("[data-sidebar-toggle]")), "the focus is back on the button");
  await phone.close();
  expect(errors.length === 0, `console errors: ${errors.join(" | ")}`);
  console.log("browser test passed");
} finally {
  await browser.close();
}
