// The whole product in headless Chromium, as two people would use it.
// Alice signs in with an emailed code, makes a workspace, connects a bucket on
// the embedded S3 server, uploads a folder and invites Bob as Viewer. Bob
// accepts in his own browser, browses, right-clicks a file and copies a share
// link that downloads. Alice makes a revocable link; Bob's visit is counted.
// Alice removes Bob and revokes the link: Bob's next click is refused and the
// link answers 410. The audit log shows every step.
// Run by crates/web/tests/browser.rs, which passes what this needs in
// BUCKETDESK_BROWSER_TEST (JSON); screenshots go to "artifacts".
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const config = JSON.parse(process.env.BUCKETDESK_BROWSER_TEST);
mkdirSync(config.artifacts, { recursive: true });
let shots = 0;
const shot = (page, name) =>
  page.screenshot({ path: join(config.artifacts, `${String(++shots).padStart(2, "0")}-${name}.png`), fullPage: true });
const expect = (condition, message) => { if (!condition) throw new Error(message); };
const errors = [];
const watch = (page) => {
  page.on("console", (m) => { if (m.type() === "error" && !m.text().includes("status of 4")) errors.push(m.text()); });
  page.on("dialog", (d) => d.accept()); // "Remove Bob?" and the like
  return page;
};

// the newest mail to `to` whose subject has `subject`, after `seen` of them
const mailCount = async (to, subject) =>
  Number(await (await fetch(`${config.mail}/count?to=${encodeURIComponent(to)}&subject=${encodeURIComponent(subject)}`)).text());
const nthMail = async (to, subject, n) =>
  (await fetch(`${config.mail}/mail?to=${encodeURIComponent(to)}&subject=${encodeURIComponent(subject)}&n=${n}`)).text();

const signInByCode = async (page, email, { fromInvite = false } = {}) => {
  const seen = await mailCount(email, "sign-in code");
  if (fromInvite) {
    await Promise.all([page.waitForNavigation(), page.click(`button:has-text('Email me a code for ${email}')`)]);
  } else {
    await page.goto(config.base + "/login");
    await page.fill("#email", email);
    await Promise.all([page.waitForNavigation(), page.click("button:has-text('Email me a code')")]);
  }
  const text = await nthMail(email, "sign-in code", seen + 1);
  const code = text.match(/\b(\d{6})\b/)[1];
  await page.fill("#code", code);
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Sign in')")]);
};

const browser = await chromium.launch({
  executablePath: config.chromium,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-quic", "--no-first-run"],
});
try {
  const alice = watch(await (await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } })).newPage());

  // Alice signs in with the code from her mail
  await signInByCode(alice, "alice@example.com");
  expect(alice.url() === config.base + "/", `Alice is home: ${alice.url()}`);
  await shot(alice, "alice-home");

  // a workspace, and a bucket connected on the embedded S3 server
  await Promise.all([alice.waitForNavigation(), alice.click("a:has-text('New workspace')")]);
  await alice.fill("#name", "Journey");
  await Promise.all([alice.waitForNavigation(), alice.click("button:has-text('Create workspace')")]);
  const workspace = new URL(alice.url()).pathname;
  await shot(alice, "alice-workspace");
  await Promise.all([alice.waitForNavigation(), alice.click("a:has-text('Connect a bucket')")]);
  await alice.fill("#display_name", "Project files");
  await alice.selectOption("#provider", "minio");
  await alice.fill("#endpoint_url", config.s3.endpoint);
  await alice.fill("#bucket_name", config.s3.bucket);
  await alice.fill("#access_key_id", config.s3.access_key);
  await alice.fill("#secret_access_key", config.s3.secret_key);
  await shot(alice, "alice-connect-form");
  await Promise.all([alice.waitForNavigation(), alice.click("button:has-text('Test and connect')")]);
  expect(alice.url().includes("/b/"), `the bucket is connected: ${alice.url()}`);
  const bucket = new URL(alice.url()).pathname;
  await shot(alice, "alice-empty-bucket");

  // she uploads a folder
  await Promise.all([
    alice.waitForURL(/done=uploaded/, { timeout: 30000 }),
    alice.setInputFiles("input[webkitdirectory]", config.folder),
  ]);
  expect(await alice.locator("a.folder >> text=reports").count() === 1, "the uploaded folder is listed");
  await Promise.all([alice.waitForNavigation(), alice.click("a.folder >> text=reports")]);
  expect(await alice.locator("a.file >> text=q3.csv").count() === 1, "its files are there");
  await shot(alice, "alice-uploaded-folder");

  // she invites Bob as a Viewer of the bucket
  await alice.goto(config.base + workspace + "/members");
  const invites = await mailCount("bob@example.com", "invited you");
  await alice.fill("#email", "bob@example.com");
  await alice.selectOption("select[name^='role_']", "viewer");
  await Promise.all([alice.waitForNavigation(), alice.click("button:has-text('Send invitation')")]);
  await shot(alice, "alice-invited-bob");
  const inviteMail = await nthMail("bob@example.com", "invited you", invites + 1);
  const inviteLink = inviteMail.match(/(http\S+\/invites\/[A-Za-z0-9_-]+)/)[1];

  // Bob accepts in his own browser, and browses
  const bobContext = await browser.newContext({
    acceptDownloads: true, viewport: { width: 1280, height: 900 }, permissions: ["clipboard-read", "clipboard-write"],
  });
  const bob = watch(await bobContext.newPage());
  await bob.goto(inviteLink);
  await shot(bob, "bob-invitation");
  await signInByCode(bob, "bob@example.com", { fromInvite: true });
  expect(bob.url() === inviteLink, `back at the invitation: ${bob.url()}`);
  await Promise.all([bob.waitForNavigation(), bob.click("button:has-text('Accept the invitation')")]);
  expect(bob.url() === config.base + workspace, `Bob lands in the workspace: ${bob.url()}`);
  await shot(bob, "bob-workspace");
  await Promise.all([bob.waitForNavigation(), bob.click("a:has-text('Project files')")]);
  await Promise.all([bob.waitForNavigation(), bob.click("a.folder >> text=reports")]);
  expect(await bob.locator("[data-upload-files]").count() === 0, "a Viewer has no upload controls");
  await shot(bob, "bob-browses");

  // Bob right-clicks a file and copies a share link, which downloads
  await bob.locator("tr[data-key='reports/q3.csv'] a.file").click({ button: "right" });
  await shot(bob, "bob-context-menu");
  await bob.click("[data-menu-share='900']");
  await bob.locator("[data-toasts] .toast", { hasText: "copied" }).waitFor();
  const copied = await bob.evaluate(() => navigator.clipboard.readText());
  expect(copied.includes("X-Amz-Expires=900"), `a 15-minute link on the clipboard: ${copied}`);
  const fetched = await fetch(copied);
  expect(fetched.status === 200 && (await fetched.text()) === readFileSync(join(config.folder, "q3.csv"), "utf8"),
    "the copied link downloads the file");
  await shot(bob, "bob-link-copied");

  // Alice makes a revocable link; Bob's visit through it is counted
  await alice.goto(config.base + bucket + "?path=reports%2F");
  await alice.locator("tr[data-key='reports/q3.csv'] a.file").click({ button: "right" });
  await Promise.all([alice.waitForNavigation(), alice.click("[data-menu-revocable]")]);
  await alice.fill("#note", "Q3 numbers for Bob");
  await Promise.all([alice.waitForNavigation(), alice.click("button:has-text('Make the link')")]);
  const address = await alice.inputValue("[data-link-address]");
  const linkPage = alice.url().split("?")[0];
  await shot(alice, "alice-revocable-link");
  await bob.goto(address);
  await shot(bob, "bob-opens-revocable-link");
  const [download] = await Promise.all([bob.waitForEvent("download"), bob.click("a:has-text('Download')")]);
  expect(download.suggestedFilename() === "q3.csv", `downloaded ${download.suggestedFilename()}`);
  await alice.goto(linkPage);
  const counted = await alice.textContent("main");
  expect(counted.includes("1 download") && !counted.includes("1 downloads"), "Alice sees Bob's download counted, in words");
  expect(await alice.locator("td:has-text('Downloaded through a link')").count() === 1, "and the visit");
  await shot(alice, "alice-sees-the-visit");

  // Alice removes Bob and revokes the link
  await alice.goto(config.base + workspace + "/members");
  const bobRow = alice.locator("tr", { hasText: "bob@example.com" });
  await Promise.all([alice.waitForNavigation(), bobRow.locator("button:has-text('Remove')").click()]);
  expect(await alice.locator("td:has-text('bob@example.com')").count() === 0, "Bob is no longer a member");
  await shot(alice, "alice-removed-bob");
  await alice.goto(linkPage);
  await Promise.all([alice.waitForNavigation(), alice.click("button:has-text('Revoke the link')")]);
  await shot(alice, "alice-revoked-link");

  // Bob's next click is refused, and the link answers 410
  const refused = await bob.goto(config.base + bucket);
  expect(refused.status() === 404, `Bob's next request is refused: ${refused.status()}`);
  expect(await bob.locator("text=No access").count() > 0, "with the No access page");
  await shot(bob, "bob-refused");
  const gone = await bob.goto(address);
  expect(gone.status() === 410, `the revoked link answers 410: ${gone.status()}`);
  await shot(bob, "bob-link-gone");

  // the audit log shows every step
  await alice.goto(config.base + workspace + "/audit");
  await shot(alice, "alice-audit-log");
  for (const step of ["Created a workspace", "Connected a bucket", "Uploaded a file", "Sent an invitation",
                      "Accepted an invitation", "Created a share link", "Made a revocable link",
                      "Downloaded through a link", "Removed someone", "Revoked a link"]) {
    expect(await alice.locator(`td:has-text('${step}')`).count() > 0, `the audit log shows "${step}"`);
  }
  expect(errors.length === 0, `console errors: ${errors.join(" | ")}`);
  console.log("journey passed");
} finally {
  await browser.close();
}
