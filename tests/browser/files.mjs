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
  expect(errors.length === 0, `console errors: ${errors.join(" | ")}`);

  // the Viewer: the same listing, no editing controls
  const viewer = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await viewer.addCookies([{ name: "bucketdesk_session", value: config.viewer_cookie, url: config.base }]);
  const vpage = await viewer.newPage();
  await vpage.goto(config.base + config.bucket + "?path=docs%2F");
  await shot(vpage, "5-viewer-folder");
  expect(await vpage.locator("a.file >> text=readme.txt").count() === 1, "the viewer sees the files");
  expect(await vpage.locator("[data-upload-files], [data-dropzone]").count() === 0, "no upload controls");
  expect(await vpage.locator("text=Delete").count() === 0, "no delete controls");
  expect(await vpage.locator("text=Create folder").count() === 0, "no folder creation");
  console.log("browser test passed");
} finally {
  await browser.close();
}
