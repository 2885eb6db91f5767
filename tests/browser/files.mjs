// The file browser in headless Chromium, as an Editor and as a Viewer.
// Run by crates/web/tests/browser.rs, which starts the app, signs both people
// in, and passes what this script needs in BUCKETDESK_BROWSER_TEST (JSON).
// Screenshots go to the folder named in "artifacts".
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
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
  // the Editor: open a folder, drop a file on it, download it, delete it
  const editor = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  await editor.addCookies([{ name: "bucketdesk_session", value: config.editor_cookie, url: config.base }]);
  const page = await editor.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error" && !m.text().includes("status of 4")) errors.push(m.text()); });
  await page.goto(config.base + config.bucket);
  await shot(page, "1-editor-bucket");
  await Promise.all([page.waitForNavigation(), page.click("a.folder >> text=docs")]);
  expect(page.url().includes("path=docs%2F"), `opened the folder: ${page.url()}`);

  const dataTransfer = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(["dropped by the browser test"], "dropped.txt", { type: "text/plain" }));
    return dt;
  });
  await Promise.all([
    page.waitForURL(/done=uploaded/, { timeout: 20000 }),
    page.dispatchEvent("#browser", "drop", { dataTransfer }),
  ]);
  await shot(page, "2-editor-after-drop");
  expect(await page.locator("a.file >> text=dropped.txt").count() === 1, "the dropped file is listed");

  const row = page.locator("tr", { has: page.locator("a.file >> text=dropped.txt") });
  const [download] = await Promise.all([page.waitForEvent("download"), row.locator("text=Download").click()]);
  expect(download.suggestedFilename() === "dropped.txt", `download name: ${download.suggestedFilename()}`);
  const bytes = readFileSync(await download.path(), "utf8");
  expect(bytes === "dropped by the browser test", `downloaded bytes: ${bytes}`);

  await Promise.all([page.waitForNavigation(), row.locator("text=Delete").click()]);
  await shot(page, "3-editor-confirm-delete");
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Delete')")]);
  await shot(page, "4-editor-after-delete");
  expect(await page.locator("a.file >> text=dropped.txt").count() === 0, "the file is gone");

  // an upload link into this folder: someone without an account sends a file
  await page.click("summary:has-text('More')");
  await Promise.all([page.waitForNavigation(), page.click("a:has-text('Upload link')")]);
  await page.fill("#max_files", "1");
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Make the upload link')")]);
  const uploadAddress = await page.inputValue("[data-link-address]");
  expect(uploadAddress.includes("/u/"), `an upload link: ${uploadAddress}`);
  const sender = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const upage = await sender.newPage();
  await upage.goto(uploadAddress);
  // dropped onto the page, with its progress and a count of what was sent
  const dropped = await upage.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(["sent through a link"], "from-a-stranger.txt", { type: "text/plain" }));
    return dt;
  });
  await upage.dispatchEvent("[data-upload-link]", "drop", { dataTransfer: dropped });
  await upage.waitForSelector("[data-arrived] li.done");
  expect((await upage.textContent("[data-link-summary]")) === "1 of 1 files sent", "the page counts what was sent");
  expect((await upage.textContent("[data-arrived]")).includes("from-a-stranger.txt: received."), "the file arrived");
  await shot(upage, "4b-stranger-sent-a-file");
  expect(errors.length === 0, `console errors: ${errors.join(" | ")}`);

  // the Viewer: the same listing, no editing controls
  const viewer = await browser.newContext({
    acceptDownloads: true, viewport: { width: 1280, height: 900 },
    permissions: ["clipboard-read", "clipboard-write"],
  });
  await viewer.addCookies([{ name: "bucketdesk_session", value: config.viewer_cookie, url: config.base }]);
  const vpage = await viewer.newPage();
  vpage.on("console", (m) => { if (m.type() === "error" && !m.text().includes("status of 4")) errors.push(m.text()); });
  await vpage.goto(config.base + config.bucket + "?path=docs%2F");
  await shot(vpage, "5-viewer-folder");
  expect(await vpage.locator("a.file >> text=readme.txt").count() === 1, "the viewer sees the files");
  expect(await vpage.locator("[data-upload-files], [data-dropzone]").count() === 0, "no upload controls");
  expect(await vpage.locator("text=Delete").count() === 0, "no delete controls");
  expect(await vpage.locator("text=Create folder").count() === 0, "no folder creation");

  // right-click a file, "Copy share link": a 15-minute presigned link lands
  // on the clipboard, and anyone can download with it
  await vpage.locator("tr[data-key='docs/readme.txt'] a.file").click({ button: "right" });
  await shot(vpage, "6-viewer-context-menu");
  await vpage.click("[data-menu-share='900']");
  // B7: the confirmation is a toast at the top of the window, announced
  const confirmation = vpage.locator("[data-toasts] .toast", { hasText: "copied" });
  await confirmation.waitFor();
  const box = await confirmation.boundingBox();
  expect(box && box.y >= 0 && box.y + box.height <= 900, `the confirmation is in view: ${JSON.stringify(box)}`);
  expect(await vpage.getAttribute("[data-toasts]", "aria-live") === "polite", "the confirmation is announced");
  const copied = await vpage.evaluate(() => navigator.clipboard.readText());
  expect(copied.includes("X-Amz-Expires=900"), `the clipboard holds the link: ${copied}`);
  const fetched = await fetch(copied);
  expect(fetched.status === 200, `the copied link downloads: ${fetched.status}`);
  expect(await fetched.text() === "read me", "the copied link gives the file's bytes");
  await shot(vpage, "7-viewer-link-copied");

  // a revocable link with a password and a limit, downloaded by someone
  // without an account, then revoked
  await vpage.locator("tr[data-key='docs/readme.txt'] a.file").click({ button: "right" });
  await Promise.all([vpage.waitForNavigation(), vpage.click("[data-menu-revocable]")]);
  await vpage.fill("#password", "open sesame");
  await vpage.fill("#max_downloads", "2");
  await shot(vpage, "8-viewer-new-revocable-link");
  await Promise.all([vpage.waitForNavigation(), vpage.click("button:has-text('Make the link')")]);
  const address = await vpage.inputValue("[data-link-address]");
  expect(address.includes("/s/"), `a revocable address: ${address}`);
  await shot(vpage, "9-viewer-link-page");

  const stranger = await browser.newContext({ acceptDownloads: true, viewport: { width: 390, height: 844 } });
  const spage = await stranger.newPage();
  spage.on("console", (m) => { if (m.type() === "error" && !m.text().includes("status of 4")) errors.push(m.text()); });
  await spage.goto(address);
  await spage.fill("#password", "open sesame");
  await Promise.all([spage.waitForNavigation(), spage.click("button:has-text('Continue')")]);
  await shot(spage, "10-stranger-shared-file");
  expect(await spage.locator("text=readme.txt").count() > 0, "the shared page names the file");
  const [shared] = await Promise.all([spage.waitForEvent("download"), spage.click("a:has-text('Download')")]);
  expect(readFileSync(await shared.path(), "utf8") === "read me", "the stranger downloads the bytes");

  await Promise.all([vpage.waitForNavigation(), vpage.click("button:has-text('Revoke the link')")]);
  await shot(vpage, "11-viewer-link-revoked");
  const gone = await spage.goto(address);
  expect(gone.status() === 410, `a revoked link answers 410: ${gone.status()}`);
  expect(await spage.locator("text=revoked").count() > 0, "the page says it was revoked");
  await shot(spage, "12-stranger-link-revoked");
  expect(errors.length === 0, `console errors: ${errors.join(" | ")}`);
  console.log("browser test passed");
} finally {
  await browser.close();
}
