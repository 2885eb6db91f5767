// Passkeys in headless Chromium with its virtual authenticator (DevTools
// WebAuthn domain), at phone and desktop sizes, light and dark: Ana adds a
// passkey after a mailed confirmation code, keeps the recovery codes that
// come with her first second factor, signs in with the passkey alone, then
// uses it as the second step after an email code. An answer made on another
// origin is refused; so is the passkey once she removes it.
// Run by crates/web/tests/browser.rs (BUCKETDESK_BROWSER_TEST, JSON).
import { codeIn, config, errors, expect, launch, mailCount, nthMail, shoot, shotCount, signInWithCode, watch } from "./lib.mjs";

// clicks `button`, which asks for a confirmation code, and enters the code
const confirmWithCode = async (page, email, button) => {
  const seen = await mailCount(email, "confirmation code");
  await Promise.all([page.waitForNavigation(), page.click(button)]);
  expect((await page.textContent("h1")).includes("Confirm it is you"), "the confirmation page");
  await page.fill("#code", codeIn(await nthMail(email, "confirmation code", seen + 1)));
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Confirm')")]);
};
const signOut = async (page) => {
  await page.goto(config.base + "/");
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Sign out')")]);
};

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const ana = watch(await context.newPage());
  // a platform authenticator with user verification, as a laptop's
  const cdp = await context.newCDPSession(ana);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
               isUserVerified: true, automaticPresenceSimulation: true },
  });

  await signInWithCode(ana, "ana@example.com");
  expect(ana.url() === config.base + "/", `Ana is home: ${ana.url()}`);
  await ana.goto(config.base + "/account/second-factor");
  await shoot(ana, "second-factor-with-passkeys");

  // adding a passkey asks for a mailed code first
  await confirmWithCode(ana, "ana@example.com", "button:has-text('Add a passkey')");
  expect(ana.url() === config.base + "/account/passkeys/new", `the new passkey page: ${ana.url()}`);
  await ana.click("button:has-text('Create the passkey')");
  expect((await ana.textContent("#passkey-status")).includes("Name the passkey first"), "a name is asked for");
  await shoot(ana, "new-passkey");
  await ana.fill("#passkey-name", "Work laptop");
  await Promise.all([ana.waitForNavigation(), ana.click("button:has-text('Create the passkey')")]);
  const codes = await ana.locator("#recovery-codes code").allTextContents();
  expect(codes.length === 10, `the first second factor comes with ten recovery codes: ${ana.url()}`);
  expect((await ana.textContent("h1")).includes("The passkey is added"), "the codes page says why");
  await Promise.all([ana.waitForNavigation(), ana.click("a:has-text('I have saved them')")]);
  expect((await ana.textContent(".passkeys")).includes("Work laptop"), "the passkey is listed");
  await shoot(ana, "passkey-listed");
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(credentials.length === 1 && credentials[0].isResidentCredential, "one discoverable credential on the device");

  // a passkey alone signs in
  await signOut(ana);
  await ana.goto(config.base + "/login");
  await shoot(ana, "sign-in-with-passkey-button");
  await Promise.all([ana.waitForNavigation(), ana.click("button:has-text('Sign in with a passkey')")]);
  expect(ana.url() === config.base + "/", `signed in with the passkey alone: ${ana.url()}`);
  expect((await ana.textContent("body")).includes("a passkey"), "the session list says how");

  // after an email code, the passkey is the second step (from another network: codes are limited per network)
  await signOut(ana);
  await ana.setExtraHTTPHeaders({ "X-Forwarded-For": "203.0.113.7" });
  await signInWithCode(ana, "ana@example.com");
  expect(ana.url() === config.base + "/login/second-factor", `the second step: ${ana.url()}`);
  await shoot(ana, "second-step-passkey");
  await Promise.all([ana.waitForNavigation(), ana.click("button:has-text('Use my passkey')")]);
  expect(ana.url() === config.base + "/", `the passkey finished the sign-in: ${ana.url()}`);

  // an answer the authenticator made for another origin (same RP id) is refused
  await signOut(ana);
  await ana.goto(config.base + "/login");
  const csrf = await ana.getAttribute("[data-passkey=sign-in]", "data-csrf");
  const options = await (await ana.request.post(config.base + "/login/passkey/options",
    { headers: { "X-CSRF-Token": csrf }, data: {} })).json();
  await ana.goto(config.otherOrigin);
  const answer = await ana.evaluate(async (publicKey) => {
    const bytes = (v) => Uint8Array.from(atob(v.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(v.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
    const text = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const credential = await navigator.credentials.get({ publicKey: { ...publicKey, challenge: bytes(publicKey.challenge) } });
    const r = credential.response;
    return { id: credential.id, rawId: text(credential.rawId), type: credential.type, extensions: {},
      response: { clientDataJSON: text(r.clientDataJSON), authenticatorData: text(r.authenticatorData),
                  signature: text(r.signature), userHandle: text(r.userHandle) } };
  }, options.publicKey);
  const signedOn = JSON.parse(Buffer.from(answer.response.clientDataJSON, "base64url")).origin;
  expect(signedOn.startsWith("http://localhost:") && signedOn !== config.base, `signed on the other origin: ${signedOn}`);
  const phished = await ana.request.post(config.base + "/login/passkey",
    { headers: { "X-CSRF-Token": csrf }, data: { credential: answer, next: "" } });
  expect(phished.status() === 401, `an answer from another origin is refused: ${phished.status()}`);
  await ana.goto(config.base + "/");
  expect(ana.url().startsWith(config.base + "/login"), `and nobody is signed in: ${ana.url()}`);

  // Ana removes the passkey (a fresh code first); it signs nobody in after that
  await signInWithCode(ana, "ana@example.com");
  await Promise.all([ana.waitForNavigation(), ana.click("button:has-text('Use my passkey')")]);
  await ana.goto(config.base + "/account/second-factor");
  await confirmWithCode(ana, "ana@example.com", ".passkey-item button:has-text('Remove')");
  expect((await ana.textContent("body")).includes("The passkey is removed"), "the passkey is removed");
  await signOut(ana);
  await ana.goto(config.base + "/login");
  await ana.click("button:has-text('Sign in with a passkey')");
  await ana.waitForSelector("#passkey-status:has-text('does not sign in to any account')");
  await shoot(ana, "removed-passkey-refused");
  expect(ana.url().startsWith(config.base + "/login"), "still signed out");

  expect(errors.length === 0, `console errors: ${errors.join("\n")}`);
  console.log(`passkeys: passed (${shotCount()} pages shot)`);
} finally {
  await browser.close();
}
