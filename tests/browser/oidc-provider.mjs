// A real OpenID Connect provider for the tests: the certified `oidc-provider`
// package on a loopback port, with one client (bucketdesk), accounts from
// the config, PKCE required, and an interaction that signs in the account
// the test chose (no login form). Started by testkit's `OidcProvider`;
// prints `issuer <url>` once it listens.
//
// The test can also make it misbehave, to check that bucketdesk refuses
// what it must (POST /test/mode?mode=...): `tamper` (an ID token whose
// claims were changed after signing), `wrong_aud`, `expired`, `unknown_key`
// (signed by a key it never published), `replay` (the previous ID token
// again), `rotate` (from now on it signs with a new key and publishes both:
// a legitimate key rotation), and `normal`.
import Provider from "oidc-provider";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import http from "node:http";

const config = JSON.parse(process.env.OIDC_TEST_CONFIG);
const accounts = config.accounts; // id → { email, email_verified, name, groups }

const keyPair = async (kid) => {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
  const pub = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return { privateKey, jwk, pub };
};
const [first, second, never] = await Promise.all([keyPair("key-1"), keyPair("key-2"), keyPair("key-3")]);

let nextAccount = Object.keys(accounts)[0];
let mode = "normal";
let rotated = false;
let lastIdToken = null;

const server = http.createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: config.redirect_uris,
    post_logout_redirect_uris: config.post_logout_redirect_uris,
    grant_types: ["authorization_code"],
    response_types: ["code"],
  }],
  jwks: { keys: [first.jwk] },
  cookies: { keys: ["a-test-cookie-key"] },
  pkce: { methods: ["S256"], required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "groups"] },
  // the scopes' claims go in the ID token too (as Google, Keycloak and
  // Entra ID put them), except for accounts marked `userinfo_only`
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims(use) {
        if (use === "id_token" && account.userinfo_only) return { sub: id };
        return { sub: id, email: account.email, email_verified: account.email_verified, name: account.name || id, groups: account.groups || [] };
      },
    };
  },
  // every client asking for any scope of an account is granted it at once
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.requestParamScopes ? [...ctx.oidc.requestParamScopes].join(" ") : "openid email profile");
    await grant.save();
    return grant;
  },
});
provider.proxy = false;

// the test app listens on a port chosen after this provider started: its
// callback and sign-out pages are allowed on any loopback port, as the
// client's own (exact) addresses would be
const loopback = (path) => new RegExp(`^http://127\\.0\\.0\\.1:\\d+${path}$`);
for (const [method, path] of [["redirectUriAllowed", "/auth/sso/[a-z0-9_]+/callback"], ["postLogoutRedirectUriAllowed", "/login\\?signed_out=1"]]) {
  const exact = provider.Client.prototype[method];
  provider.Client.prototype[method] = function (uri) { return loopback(path).test(uri) || exact.call(this, uri); };
}

const payloadOf = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url"));
const signed = (payload, key) => new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: key.jwk.kid, typ: "JWT" }).sign(key.privateKey);

// what the test asked for, applied to the ID token the provider issued
const misbehave = async (idToken) => {
  const payload = payloadOf(idToken);
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case "tamper": {
      const [header, , signature] = idToken.split(".");
      const changed = Buffer.from(JSON.stringify({ ...payload, email: "mallory@example.com", sub: "mallory" })).toString("base64url");
      return `${header}.${changed}.${signature}`;
    }
    case "wrong_aud": return signed({ ...payload, aud: "someone-else" }, first);
    case "expired": return signed({ ...payload, iat: now - 1200, exp: now - 600 }, first);
    case "unknown_key": return signed(payload, never);
    case "replay": return lastIdToken || idToken;
    default: return rotated ? signed(payload, second) : idToken;
  }
};

provider.use(async (ctx, next) => {
  if (ctx.path === "/test/mode" && ctx.method === "POST") {
    mode = ctx.query.mode;
    if (mode === "rotate") { rotated = true; mode = "normal"; }
    ctx.body = { mode, rotated };
    return;
  }
  if (ctx.path === "/test/next" && ctx.method === "POST") {
    nextAccount = ctx.query.account;
    ctx.body = { next: nextAccount };
    return;
  }
  if (ctx.path.startsWith("/interaction/")) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const result = details.prompt.name === "login"
      ? { login: { accountId: nextAccount } }
      : { consent: {} };
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    return;
  }
  await next();
  if (ctx.path === "/token" && ctx.body && ctx.body.id_token) {
    const issued = ctx.body.id_token;
    ctx.body = { ...ctx.body, id_token: await misbehave(issued) };
    if (mode === "normal") lastIdToken = ctx.body.id_token;
  }
  if (ctx.path === "/jwks" && rotated) ctx.body = { keys: [second.pub, first.pub] };
});

server.on("request", provider.callback());
console.log(`issuer ${issuer}`);
