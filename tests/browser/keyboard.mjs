// The whole way from sign-in to a copied share link with the keyboard alone:
// Tab, Enter, Space, the arrow keys and Escape; no mouse event is sent.
// Run by crates/web/tests/browser.rs, which makes Alice's bucket and passes
// what this script needs in BUCKETDESK_BROWSER_TEST (JSON).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const config = JSON.parse(process.env.BUCKETDESK_BROWSER_TEST);
mkdirSync(config.artifacts, { recursive: true });
const shot = (page, name) => page.screenshot({ path: join(config.artifacts, `${name}.png`), fullPage: true });
const expect = (condition, message) => { if (!condition) throw new Error(message); };
const mailCount = async (to) =>
  Number(await (await fetch(`${config.mail}/count?to=${encodeURIComponent(to)}&subject=sign-in%20code`)).text());
const nthMail = async (to, n) =>
  (await fetch(`${config.mail}/mail?to=${encodeURIComponent(to)}&subject=sign-in%20code&n=${n}`)).text();

// presses Tab until `test` holds for the focused element (at most 60 times)
const tabTo = async (page, what, test) => {
  for (let i = 0; i < 60; i += 1) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(test)) return;
  }
  throw new Error(`Tab never reached ${what}`);
};

const browser = await chromium.launch({
  executablePath: config.chromium,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-quic", "--no-first-run"],
});
try {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 }, permissions: ["clipboard-read", "clipboard-write"],
  });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error" && !m.text().includes("status of 4")) errors.push(m.text()); });

  // sign in: the address, Enter; the code from the mail, Enter
  const seen = await mailCount("alice@example.com");
  await page.goto(config.base + "/login");
  await tabTo(page, "the email field", () => document.activeElement.id === "email");
  await page.keyboard.type("alice@example.com");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  const code = (await nthMail("alice@example.com", seen + 1)).match(/\b(\d{6})\b/)[1];
  await tabTo(page, "the code field", () => document.activeElement.id === "code");
  await page.keyboard.type(code);
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  expect(new URL(page.url()).pathname === "/", `signed in: ${page.url()}`);

  // open the bucket from the home page
  await tabTo(page, "the bucket's link", () => document.activeElement.textContent.trim() === "Photos");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  expect(page.url().includes("/b/"), `the bucket opened: ${page.url()}`);

  // upload: the file input is a tab stop; Space opens the file chooser. On a
  // loaded machine the page's script may still be settling when Tab gets
  // there and the focus moves on: then Tab back to it and press Space again
  const uploadInput = () => document.activeElement.matches("[data-upload-files]:not([webkitdirectory])");
  let chooser;
  for (let attempt = 1; !chooser; attempt += 1) {
    if (!(await page.evaluate(uploadInput))) await tabTo(page, "Upload files", uploadInput);
    try {
      [chooser] = await Promise.all([page.waitForEvent("filechooser", { timeout: 10000 }), page.keyboard.press("Space")]);
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
  await Promise.all([
    page.waitForURL(/done=uploaded/, { timeout: 20000 }),
    chooser.setFiles({ name: "typed.txt", mimeType: "text/plain", buffer: Buffer.from("sent with the keyboard") }),
  ]);
  await shot(page, "1-uploaded");

  // the row's "Share link" opens the menu, its first item focused
  await tabTo(page, "the file's Share link", () => document.activeElement.matches("tr[data-key='typed.txt'] [data-share]"));
  await page.keyboard.press("Enter");
  const focused = () => page.evaluate(() => document.activeElement.textContent.trim());
  expect(!(await page.isHidden("[data-menu]")), "the menu opened");
  expect((await focused()).startsWith("Copy share link (15 minutes)"), `the first item has the focus: ${await focused()}`);
  await page.keyboard.press("ArrowDown");
  expect((await focused()).includes("1 day"), `ArrowDown moves down: ${await focused()}`);
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("ArrowUp");
  expect(await focused() === "Delete…", `ArrowUp wraps to the last item: ${await focused()}`);
  await page.keyboard.press("Home");
  await shot(page, "2-menu");
  await page.keyboard.press("Enter");
  await page.locator("[data-toasts] .toast", { hasText: "copied" }).waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied.includes("X-Amz-Expires=900"), `a 15-minute link was copied: ${copied}`);

  // Escape closes the menu and gives the focus back to the file's row
  await tabTo(page, "the file's Share link", () => document.activeElement.matches("tr[data-key='typed.txt'] [data-share]"));
  await page.keyboard.press("Enter");
  await page.keyboard.press("Escape");
  expect(await page.isHidden("[data-menu]"), "Escape closed the menu");
  const back = await page.evaluate(() => {
    const el = document.activeElement;
    return el.closest("tr") && el.closest("tr").dataset.key;
  });
  expect(back === "typed.txt", `the focus is back on the row: ${back}`);
  expect(errors.length === 0, `console errors: ${errors.join(" | ")}`);
  console.log("passed");
} finally {
  await browser.close();
}
