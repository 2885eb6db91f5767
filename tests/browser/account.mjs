// The account and administration pages in headless Chromium, at phone and
// desktop sizes, in light and dark: Alice links GitHub after confirming with
// a mailed code, sees where she is signed in and ends another session; Bob
// signs in on his phone through the link in his code mail; Alice, an
// instance admin, disables Bob and deletes Carol; finally she deletes her
// workspace after typing its name. Every page is checked not to be wider
// than a phone, and screenshotted.
// Run by crates/web/tests/browser.rs (BUCKETDESK_BROWSER_TEST, JSON).
import { codeIn, config, errors, expect, launch, mailCount, nthMail, shoot, watch } from "./lib.mjs";

const browser = await launch();
try {
  const alice = watch(await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage());
  // Alice signs in by code
  const seen = await mailCount("alice@example.com", "sign-in code");
  await alice.goto(config.base + "/login");
  await alice.fill("#email", "alice@example.com");
  await Promise.all([alice.waitForNavigation(), alice.click("button:has-text('Email me a code')")]);
  await alice.fill("#code", codeIn(await nthMail("alice@example.com", "sign-in code", seen + 1)));
  await Promise.all([alice.waitForNavigation(), alice.click("button:has-text('Sign in')")]);
  expect(alice.url() === config.base + "/", `Alice is home: ${alice.url()}`);
  expect((await alice.locator(".session-item").count()) === 2, "two sessions: this browser and the other one");
  await shoot(alice, "home-two-sessions");

  // she ends the session that is not this browser
  const other = alice.locator(".session-item", { hasNotText: "this browser" });
  await Promise.all([alice.waitForNavigation(), other.locator("button:has-text('End this session')").click()]);
  expect((await alice.textContent("body")).includes("That session has ended"), "the session ended");
  expect((await alice.locator(".session-item").count()) === 1, "one session left");

  // linking GitHub asks for a mailed code first
  const confirmations = await mailCount("alice@example.com", "confirmation code");
  await Promise.all([alice.waitForNavigation(), alice.click("button:has-text('Link GitHub')")]);
  expect((await alice.textContent("h1")).includes("Confirm it is you"), "the confirmation page");
  await shoot(alice, "confirm-it-is-you");
  const code = codeIn(await nthMail("alice@example.com", "confirmation code", confirmations + 1));
  await alice.fill("#code", code);
  await Promise.all([alice.waitForURL(/done=github_linked/), alice.click("button:has-text('Confirm')")]);
  expect((await alice.textContent("body")).includes("GitHub is linked"), "GitHub is linked");
  await nthMail("alice@example.com", "GitHub account alice-gh was linked", 1);

  // she makes an access token for a script: a mistake is shown beside its field, the
  // token is shown once, then listed by its prefix, and revoked in one click
  await Promise.all([alice.waitForNavigation(), alice.click("a:has-text('Access tokens')")]);
  await alice.uncheck("input[name=scopes][value=read]");
  await alice.uncheck("input[name=scopes][value=share]");
  await alice.fill("#name", "nightly export");
  await Promise.all([alice.waitForNavigation(), alice.click("button:has-text('Make the token')")]);
  expect((await alice.textContent("body")).includes("Choose at least one scope"), "the missing scope is shown in place");
  expect((await alice.inputValue("#name")) === "nightly export", "the name is kept");
  await shoot(alice, "token-mistake");
  await alice.check("input[name=scopes][value=read]");
  await alice.check("input[name=scopes][value=share]");
  await Promise.all([alice.waitForNavigation(), alice.click("button:has-text('Make the token')")]);
  const secret = await alice.inputValue(".token-secret");
  expect(/^bdk_[A-Za-z0-9_-]{43}$/.test(secret), `the token is shown once: ${secret}`);
  await shoot(alice, "token-made");
  const me = await fetch(config.base + "/api/v1/me", { headers: { authorization: `Bearer ${secret}` } });
  expect(me.status === 200 && (await me.json()).email === "alice@example.com", "the token works with the API");
  await alice.goto(config.base + "/account/tokens");
  expect(!(await alice.textContent("body")).includes(secret), "the token is not shown again");
  const row = alice.locator(".session-item", { hasText: "nightly export" });
  await Promise.all([alice.waitForNavigation(), row.locator("button:has-text('Revoke')").click()]);
  expect((await alice.textContent("body")).includes("The token was revoked"), "the token is revoked");
  await shoot(alice, "tokens-revoked");
  const after = await fetch(config.base + "/api/v1/me", { headers: { authorization: `Bearer ${secret}` } });
  expect(after.status === 401, `a revoked token is refused: ${after.status}`);
  await alice.goto(config.base + "/");

  // Bob asks for a code on his laptop, then signs in on his phone through the mail's link
  const laptop = watch(await (await browser.newContext()).newPage());
  await laptop.goto(config.base + "/login");
  await laptop.fill("#email", "bob@example.com");
  const bobSeen = await mailCount("bob@example.com", "sign-in code");
  await Promise.all([laptop.waitForNavigation(), laptop.click("button:has-text('Email me a code')")]);
  const mail = await nthMail("bob@example.com", "sign-in code", bobSeen + 1);
  const link = mail.match(/\/login\/email\/[A-Za-z0-9_-]+/)[0];
  const phone = watch(await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage());
  await phone.goto(config.base + link);
  expect((await phone.textContent("h1")).includes("Sign in as bob@example.com"), "the link's page names Bob");
  await shoot(phone, "sign-in-link");
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.fill("#code", codeIn(mail));
  await Promise.all([phone.waitForNavigation(), phone.click("button:has-text('Sign in')")]);
  expect(phone.url() === config.base + "/", `Bob is home on his phone: ${phone.url()}`);

  // Alice, an instance admin, disables Bob: his phone is signed out at once
  await alice.goto(config.base + "/admin/users");
  await shoot(alice, "people");
  const bob = alice.locator(".person-item", { hasText: "bob@example.com" });
  await Promise.all([alice.waitForNavigation(), bob.locator("button:has-text('Disable')").click()]);
  expect((await alice.textContent("body")).includes("The account is disabled"), "Bob is disabled");
  await shoot(alice, "people-bob-disabled");
  await phone.reload();
  expect(phone.url().endsWith("/login"), `Bob's phone is signed out: ${phone.url()}`);

  // and deletes Carol, after typing her address
  const carol = alice.locator(".person-item", { hasText: "carol@example.com" });
  await Promise.all([alice.waitForNavigation(), carol.locator("a:has-text('Delete')").click()]);
  await alice.fill("#confirm", "carol@example.org");
  await Promise.all([alice.waitForNavigation(), alice.click("button:has-text('Delete the account')")]);
  expect((await alice.textContent("#confirm-error")).includes("Type carol@example.com exactly"), "the mistake is shown in place");
  await shoot(alice, "delete-carol-mistyped");
  await alice.fill("#confirm", "carol@example.com");
  await Promise.all([alice.waitForNavigation(), alice.click("button:has-text('Delete the account')")]);
  expect((await alice.textContent("body")).includes("The account is deleted"), "Carol is deleted");

  // she deletes her workspace, typing its name
  await alice.goto(`${config.base}/w/${config.workspace}/delete`);
  await alice.fill("#name", "team");
  await Promise.all([alice.waitForNavigation(), alice.click("button:has-text('Delete the workspace')")]);
  expect((await alice.textContent("#name-error")).includes("exactly to confirm"), "the mistake is shown in place");
  await shoot(alice, "delete-workspace-mistyped");
  await alice.fill("#name", "Team");
  await Promise.all([alice.waitForNavigation(), alice.click("button:has-text('Delete the workspace')")]);
  expect((await alice.textContent("body")).includes("You have no workspaces"), "no workspace left");
  await shoot(alice, "home-no-workspaces");

  expect(errors.length === 0, `no console errors: ${errors.join("; ")}`);
  console.log("passed");
} finally {
  await browser.close();
}
