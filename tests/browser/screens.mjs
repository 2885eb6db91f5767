// Every page on a phone (390 × 844) and a wide screen (1440 × 900), in the
// light and the dark theme: nothing is wider than the window, the action
// columns stay visible on a phone, the dark theme is dark, and a screenshot
// of each is saved for people to look at. Run by crates/web/tests/browser.rs,
// which makes the workspace, bucket, people and links and passes the pages
// in BUCKETDESK_BROWSER_TEST (JSON).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

// axe-core checks each page for accessibility problems (WCAG 2.x A and AA)
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

const config = JSON.parse(process.env.BUCKETDESK_BROWSER_TEST);
mkdirSync(config.artifacts, { recursive: true });
const expect = (condition, message) => { if (!condition) throw new Error(message); };
const sizes = [{ name: "phone", width: 390, height: 844 }, { name: "desktop", width: 1440, height: 900 }];
const themes = ["light", "dark"];

const browser = await chromium.launch({
  executablePath: config.chromium,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-quic", "--no-first-run"],
});

// the relative luminance of a CSS rgb() colour, 0 (black) to 1 (white)
const luminance = (rgb) => {
  const [r, g, b] = rgb.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};

// the elements matching `selector` that a person can see without scrolling sideways
const visibleInWidth = (page, selector) => page.$$eval(selector, (els) => els.filter((el) => {
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  return box.width > 0 && box.height > 0 && style.visibility !== "hidden"
    && box.left >= 0 && box.right <= window.innerWidth;
}).length);

// serious and critical WCAG 2.x A and AA problems axe-core finds on the page as it is
const axeProblems = async (page) => {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  });
};

const violations = [];
try {
  for (const size of sizes) {
    for (const theme of themes) {
      // bypassCSP: the page's policy would refuse axe-core's script
      const context = await browser.newContext({
        viewport: { width: size.width, height: size.height }, colorScheme: theme, bypassCSP: true,
      });
      await context.addCookies([{ name: "bucketdesk_session", value: config.cookie, url: config.base }]);
      const signedIn = await context.newPage();
      // the sign-in pages, as someone who is not signed in sees them
      const stranger = await (await browser.newContext({
        viewport: { width: size.width, height: size.height }, colorScheme: theme, bypassCSP: true,
      })).newPage();
      const errors = [];
      [signedIn, stranger].forEach((p) => p.on("console", (m) => {
        if (m.type() === "error" && !m.text().includes("status of 4")) errors.push(m.text());
      }));
      for (const visit of config.pages) {
        const page = visit.signed_out ? stranger : signedIn;
        const answer = await page.goto(config.base + visit.path);
        expect(answer.status() < 400 || visit.name === "not-found", `${visit.name}: status ${answer.status()}`);
        const where = `${visit.name} at ${size.name} in ${theme}`;
        const width = await page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
          widest: Array.from(document.querySelectorAll("body *"))
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 3).map((el) => `${el.tagName}.${el.className}`),
        }));
        expect(width.scroll <= width.inner, `${where} is ${width.scroll} px wide in a ${width.inner} px window: ${width.widest.join(", ")}`);
        const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
        const text = await page.evaluate(() => getComputedStyle(document.documentElement).color);
        if (theme === "dark") expect(luminance(background) < 0.05 && luminance(text) > 0.5, `${where}: not dark (${background} on ${text})`);
        else expect(luminance(background) > 0.8 && luminance(text) < 0.1, `${where}: not light (${background} on ${text})`);
        for (const selector of visit.visible || []) {
          expect(await visibleInWidth(page, selector) > 0, `${where}: ${selector} cannot be seen`);
        }
        (await axeProblems(page)).forEach((problem) => violations.push(`${where}: ${problem}`));
        await page.screenshot({ path: join(config.artifacts, `${visit.name}-${size.name}-${theme}.png`), fullPage: true });
        // the folder's other states: the grid, and one file's details beside the list
        if (visit.name !== "folder") continue;
        const states = [
          ["folder-grid", () => page.click("[data-view=grid]"), () => page.click("[data-view=list]")],
          ["folder-details", async () => {
            await page.click("tr[data-key$='team-photo.jpg'] td[data-label=Size]");
            await page.locator("[data-details] h2").waitFor();
          }, () => page.click("[data-details-close]")],
        ];
        for (const [name, show, undo] of states) {
          await show();
          const state = `${name} at ${size.name} in ${theme}`;
          const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          expect(wide <= 0, `${state} is ${wide} px wider than the window`);
          (await axeProblems(page)).forEach((problem) => violations.push(`${state}: ${problem}`));
          await page.screenshot({ path: join(config.artifacts, `${name}-${size.name}-${theme}.png`), fullPage: true });
          await undo();
        }
      }
      expect(errors.length === 0, `console errors: ${errors.join(" | ")}`);
      await context.close();
      await stranger.context().close();
    }
  }

  expect(violations.length === 0, `accessibility problems (axe-core, serious or critical):\n${violations.join("\n")}`);

  // times in the viewer's time zone, UTC on hover
  const tokyo = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: "Asia/Tokyo" });
  await tokyo.addCookies([{ name: "bucketdesk_session", value: config.cookie, url: config.base }]);
  const there = await tokyo.newPage();
  await there.goto(config.base + config.times_page);
  const times = await there.$$eval("time[title$=' UTC']", (els) => els.map((el) => [el.textContent, el.title, el.dateTime]));
  expect(times.length > 0, `times are marked: ${await there.textContent("main")}`);
  for (const [shown, utc, iso] of times) {
    const at = new Date(iso);
    const hour = String((at.getUTCHours() + 9) % 24).padStart(2, "0");
    expect(shown.includes(` ${hour}:`) && !shown.includes("UTC"), `${utc} is shown at Tokyo's clock: ${shown}`);
  }
  await tokyo.close();

  // B12: the link forms give their fields room on a wide screen
  const form = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await form.addCookies([{ name: "bucketdesk_session", value: config.cookie, url: config.base }]);
  const formPage = await form.newPage();
  for (const path of config.link_forms) {
    await formPage.goto(config.base + path);
    const widths = await formPage.$$eval("form input[type=text], form input[type=password], form select",
      (els) => els.filter((el) => el.offsetParent).map((el) => Math.round(el.getBoundingClientRect().width)));
    expect(widths.length > 0 && widths.every((w) => w >= 300), `${path}: fields are squeezed (${widths.join(", ")} px)`);
  }
  await form.close();

  // B18: names break between words where they can, never inside a word
  // that fits on a line ("READ ME.m d")
  const wide = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await wide.addCookies([{ name: "bucketdesk_session", value: config.cookie, url: config.base }]);
  const page = await wide.newPage();
  for (const path of config.name_pages) {
    await page.goto(config.base + path);
    const breaking = await page.$$eval("body *", (els) => els
      .filter((el) => getComputedStyle(el).wordBreak === "break-all")
      .map((el) => `${el.tagName}.${el.className}`));
    expect(breaking.length === 0, `${path}: words are broken anywhere in ${breaking.join(", ")}`);
  }
  await page.goto(config.base + config.object_page);
  const title = await page.locator("h1.filename").evaluate((el) => el.getClientRects().length);
  expect(title === 1, `"READ ME.md" is one line on a phone (${title})`);

  // the theme switch: dark chosen on this browser stays on the next page
  await page.click("[data-theme-switch]");
  expect(await page.evaluate(() => document.documentElement.dataset.theme) === "dark", "the switch chose dark");
  await page.goto(config.base + "/");
  expect(await page.evaluate(() => document.documentElement.dataset.theme) === "dark", "dark is remembered");
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(luminance(background) < 0.05, `the chosen dark theme is dark: ${background}`);
  expect((await page.textContent("[data-theme-switch]")).includes("Dark"), "the switch says which theme");
  await wide.close();
  console.log("passed");
} finally {
  await browser.close();
}
