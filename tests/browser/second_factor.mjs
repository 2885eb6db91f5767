// A second factor in headless Chromium, at phone and desktop sizes, in light
// and dark: Ana adds an authenticator app (after a mailed confirmation code),
// keeps her recovery codes, signs out and in again through the second step
// (a wrong code first); then turns on her workspace's rule, and Bob, a
// member with only an email code, is led to add an app of his own.
// Run by crates/web/tests/browser.rs (BUCKETDESK_BROWSER_TEST, JSON).
import { createHmac } from "node:crypto";
import { codeIn, config, errors, expect, launch, mailCount, nthMail, shoot, shotCount, signInWithCode, watch } from "./lib.mjs";

// the authenticator app: RFC 6238 with SHA-1, 6 digits, 30 seconds
const base32 = (text) => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/\s|=/g, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
};
const totp = (secret, offsetSeconds = 0) => {
  const counter = Math.floor((Date.now() / 1000 + offsetSeconds) / 30);
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const hmac = createHmac("sha1", base32(secret)).update(message).digest();
  const at = hmac[19] & 0xf;
  const number = ((hmac[at] & 0x7f) << 24) | (hmac[at + 1] << 16) | (hmac[at + 2] << 8) | hmac[at + 3];
  return String(number % 1_000_000).padStart(6, "0");
};

const browser = await launch();
try {
  const ana = watch(await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage());
  await signInWithCode(ana, "ana@example.com");
  expect(ana.url() === config.base + "/", `Ana is home: ${ana.url()}`);
  await Promise.all([ana.waitForNavigation(), ana.click("a:has-text('Set one up')")]);
  await shoot(ana, "second-factor-none");

  // adding an app asks for a mailed code first
  const confirmations = await mailCount("ana@example.com", "confirmation code");
  await Promise.all([ana.waitForNavigation(), ana.click("button:has-text('Set up an authenticator app')")]);
  expect((await ana.textContent("h1")).includes("Confirm it is you"), "the confirmation page");
  await ana.fill("#code", codeIn(await nthMail("ana@example.com", "confirmation code", confirmations + 1)));
  await Promise.all([ana.waitForNavigation(), ana.click("button:has-text('Confirm')")]);
  expect((await ana.textContent("h1")).includes("Add an authenticator app"), "the set-up page");
  expect(await ana.locator(".qr svg").isVisible(), "the QR code shows");
  const qr = await ana.locator(".qr svg").boundingBox();
  expect(qr.width >= 190 && qr.width === qr.height, `the QR code is square and large enough: ${JSON.stringify(qr)}`);
  await shoot(ana, "authenticator-setup");
  const secret = (await ana.textContent("#totp-secret")).replace(/\s/g, "");
  await ana.fill("#code", totp(secret) === "123456" ? "654321" : "123456");
  await Promise.all([ana.waitForNavigation(), ana.click("button:has-text('Add the app')")]);
  expect((await ana.textContent("body")).includes("That code does not match"), "a wrong code is explained");
  expect((await ana.textContent("#totp-secret")).replace(/\s/g, "") === secret, "the same secret is offered again");
  await shoot(ana, "authenticator-wrong-code");
  await ana.fill("#code", totp(secret));
  await Promise.all([ana.waitForNavigation(), ana.click("button:has-text('Add the app')")]);
  const codes = await ana.locator("#recovery-codes code").allTextContents();
  expect(codes.length === 10 && codes.every((c) => /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/.test(c)), `ten recovery codes: ${codes}`);
  await shoot(ana, "recovery-codes");
  await Promise.all([ana.waitForNavigation(), ana.click("a:has-text('I have saved them')")]);
  expect((await ana.textContent(".facts")).includes("10 left"), "ten codes left");
  await shoot(ana, "second-factor-on");

  // signing in again asks for the app's code after the email code
  await Promise.all([ana.waitForNavigation(), ana.goto(config.base + "/")]);
  await Promise.all([ana.waitForNavigation(), ana.click("button:has-text('Sign out')")]);
  await signInWithCode(ana, "ana@example.com");
  expect(ana.url() === config.base + "/login/second-factor", `the second step: ${ana.url()}`);
  await shoot(ana, "sign-in-second-step");
  await ana.fill("#code", "000000");
  await Promise.all([ana.waitForNavigation(), ana.click("button:has-text('Sign in')")]);
  expect((await ana.textContent("#code-error")).includes("That code is not right"), "a wrong code is refused");
  await shoot(ana, "sign-in-second-step-wrong");
  // the code of this step was spent adding the app: the next one is accepted
  await ana.fill("#code", totp(secret, 30));
  await Promise.all([ana.waitForNavigation(), ana.click("button:has-text('Sign in')")]);
  expect(ana.url() === config.base + "/", `Ana is home again: ${ana.url()}`);

  // Ana asks her workspace's members for a second factor
  await ana.goto(`${config.base}/w/${config.workspace}`);
  await ana.check("input[name=required]");
  await Promise.all([ana.waitForNavigation(), ana.click("section:has-text('Sign-in rule') button:has-text('Save')")]);
  expect((await ana.textContent("body")).includes("Members must now use a second factor"), "the rule is on");
  await shoot(ana, "workspace-rule-on");

  // Bob, with only an email code, is led to add one
  const bob = watch(await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage());
  await signInWithCode(bob, "bob@example.com");
  await Promise.all([bob.waitForNavigation(), bob.click(`a[href="/w/${config.workspace}"]`)]);
  expect(bob.url() === config.base + "/account/second-factor?required=1", `Bob is led to add one: ${bob.url()}`);
  expect((await bob.textContent("body")).includes("asks its members for a second factor"), "and told why");
  await shoot(bob, "second-factor-required");

  expect(errors.length === 0, `console errors: ${errors.join("\n")}`);
  console.log(`second factor: passed (${shotCount()} pages shot)`);
} finally {
  await browser.close();
}
