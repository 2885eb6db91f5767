// What the browser scripts share: the configuration from the Rust test,
// checks, console watching, the mail window, screenshots at phone and
// desktop sizes in light and dark, Chromium, and signing in with a code.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export const config = JSON.parse(process.env.BUCKETDESK_BROWSER_TEST);
mkdirSync(config.artifacts, { recursive: true });

export const expect = (condition, message) => { if (!condition) throw new Error(message); };

// console errors of watched pages (answers of 4xx are expected in tests)
export const errors = [];
export const watch = (page) => {
  page.on("console", (m) => { if (m.type() === "error" && !m.text().includes("status of 4")) errors.push(m.text()); });
  page.on("dialog", (d) => d.accept());
  return page;
};

export const mailCount = async (to, subject) =>
  Number(await (await fetch(`${config.mail}/count?to=${encodeURIComponent(to)}&subject=${encodeURIComponent(subject)}`)).text());
export const nthMail = async (to, subject, n) =>
  (await fetch(`${config.mail}/mail?to=${encodeURIComponent(to)}&subject=${encodeURIComponent(subject)}&n=${n}`)).text();
export const codeIn = (text) => text.match(/\b(\d{6})\b/)[1];

// each page at 1440x900 and 390x844, light and dark; never wider than the phone
let shots = 0;
export const shotCount = () => shots;
const sizes = [["desktop", 1440, 900], ["phone", 390, 844]];
export const shoot = async (page, name) => {
  shots++;
  for (const [size, width, height] of sizes) {
    await page.setViewportSize({ width, height });
    for (const scheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({
        path: join(config.artifacts, `${String(shots).padStart(2, "0")}-${name}-${size}-${scheme}.png`),
        fullPage: true,
      });
    }
    if (size === "phone") {
      const wide = await page.evaluate(() => document.scrollingElement.scrollWidth);
      expect(wide <= width, `${name} is ${wide}px wide on a ${width}px phone`);
    }
  }
  await page.setViewportSize({ width: 1440, height: 900 });
};

export const launch = () => chromium.launch({
  executablePath: config.chromium,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-quic", "--no-first-run"],
});

// the sign-in page, a code from the mail, the code page
export const signInWithCode = async (page, email) => {
  const seen = await mailCount(email, "sign-in code");
  await page.goto(config.base + "/login");
  await page.fill("#email", email);
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Email me a code')")]);
  await page.fill("#code", codeIn(await nthMail(email, "sign-in code", seen + 1)));
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Sign in')")]);
};
