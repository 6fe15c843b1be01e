// A real, independent OpenID Provider for Latchkey's social-connection tests:
// oidc-provider (OpenID-certified) with an in-memory store, logins and
// consents that complete on their own (no forms, so an HTTP client with a
// cookie jar and headless Chromium both pass straight through), and a small
// admin API, guarded by a bearer token, that the Go package upstreamtest
// drives: clients, accounts with arbitrary claims, who logs in next, token
// lifetimes, grant revocation and counters.
//
// Started by internal/social/upstreamtest (never by hand in CI). Settings come
// from the environment:
//   UPSTREAM_ADMIN_TOKEN  required; the admin API's bearer token
//   UPSTREAM_SIGNING_JWK  required; the RSA private key (JWK) it signs with
//   UPSTREAM_CONFIG       optional JSON: {"extra_scopes": {"scope": ["claim", ...]},
//                         "extra_claims": ["claim", ...]}
// It listens on 127.0.0.1 on a free port and prints one line
//   READY http://127.0.0.1:<port>
// on stdout once it serves requests.

import crypto from 'node:crypto';
import http from 'node:http';

import Provider, { interactionPolicy } from 'oidc-provider';

import { Store, storeAdapter } from './store.mjs';

const adminToken = process.env.UPSTREAM_ADMIN_TOKEN;
if (!adminToken) {
  console.error('UPSTREAM_ADMIN_TOKEN is required');
  process.exit(2);
}
const config = JSON.parse(process.env.UPSTREAM_CONFIG || '{}');

const store = new Store();

// accounts: sub -> claims (any JSON: email_verified may be a boolean, a
// string or absent, as real providers send it).
const accounts = new Map();
// clientSettings: client_id -> what oidc-provider's client metadata cannot
// say (token lifetimes, rotation, refresh tokens without offline_access).
const clientSettings = new Map();
// login: who the next logins are. {sub} logs in that account (a login_hint
// naming an account's sub or email wins); {deny: true} answers access_denied.
let login = {};

const stats = {
  authorization_codes: 0,
  refreshes: 0,
  refresh_failures: 0,
  refreshes_by_account: {},
  refresh_failures_by_client: {},
};

// Claims released per scope. With conformIdTokenClaims off they go into the
// ID token as well as userinfo, as Google, Microsoft and most providers do.
const claims = {
  openid: ['sub', ...(config.extra_claims || [])],
  email: ['email', 'email_verified'],
  profile: ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username',
    'picture', 'profile', 'website', 'locale', 'zoneinfo', 'updated_at'],
  ...Object.fromEntries(Object.entries(config.extra_scopes || {}).map(([s, c]) => [s, c || []])),
};

// A login check that always asks, unless this request is resuming the login
// interaction we just finished: every authorization logs in the account the
// test chose, whatever session cookie the browser still carries.
const policy = interactionPolicy.base();
policy.get('login').checks.add(new interactionPolicy.Check(
  'fresh_login',
  'every authorization logs in the account chosen by the test',
  (ctx) => (ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT
    : interactionPolicy.Check.REQUEST_PROMPT),
));

function settingsFor(client) {
  return clientSettings.get(client.clientId) || {};
}

// The signing key comes from the Go side (one per test binary): generating
// it here with generateKeyPairSync and exporting it as a JWK can deadlock
// Node 20 when a garbage collection runs inside the export (seen in CI: the
// process hung before READY with its main thread in KeyGenJob's destructor).
const signingKey = JSON.parse(process.env.UPSTREAM_SIGNING_JWK || 'null');
if (!signingKey) {
  console.error('UPSTREAM_SIGNING_JWK is required');
  process.exit(2);
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    adapter: storeAdapter(store),
    jwks: { keys: [{ ...signingKey, kid: 'upstream-rs256', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    claims,
    scopes: ['openid', 'offline_access', ...Object.keys(claims).filter((s) => s !== 'openid')],
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: true },
      rpInitiatedLogout: { enabled: false },
    },
    interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ ...account, sub }) };
    },
    // Consent is given in the login interaction (see interaction below).
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    async issueRefreshToken(ctx, client, code) {
      if (!client.grantTypeAllowed('refresh_token')) return false;
      return code.scopes.has('offline_access') || Boolean(settingsFor(client).always_issue_refresh_token);
    },
    expiresWithSession: async () => false,
    rotateRefreshToken: (ctx) => settingsFor(ctx.oidc.client).rotate_refresh_tokens !== false,
    ttl: {
      AccessToken: (ctx, token, client) => settingsFor(client).access_token_ttl || 3600,
      IdToken: (ctx, token, client) => settingsFor(client).access_token_ttl || 3600,
      RefreshToken: () => 14 * 24 * 3600,
      Grant: () => 14 * 24 * 3600,
      Session: () => 14 * 24 * 3600,
      Interaction: () => 3600,
    },
    pkce: { required: () => false },
    clientBasedCORS: () => true,
  });

  provider.on('grant.success', (ctx) => {
    const type = ctx.oidc.params.grant_type;
    if (type === 'authorization_code') stats.authorization_codes += 1;
    if (type === 'refresh_token') {
      stats.refreshes += 1;
      const sub = ctx.oidc.entities.Account?.accountId || '';
      stats.refreshes_by_account[sub] = (stats.refreshes_by_account[sub] || 0) + 1;
    }
  });
  provider.on('grant.error', (ctx) => {
    if (ctx.oidc?.params?.grant_type === 'refresh_token') {
      stats.refresh_failures += 1;
      const clientId = ctx.oidc.client?.clientId || '';
      stats.refresh_failures_by_client[clientId] = (stats.refresh_failures_by_client[clientId] || 0) + 1;
    }
  });
  if (process.env.UPSTREAM_DEBUG) {
    provider.on('server_error', (ctx, err) => console.error('server_error', err));
    provider.on('grant.error', (ctx, err) => console.error('grant.error', err.message, err.error_description));
    provider.on('authorization.error', (ctx, err) => console.error('authorization.error', err.message, err.error_description));
  }

  const oidc = provider.callback();
  server.on('request', (req, res) => {
    const path = new URL(req.url, issuer).pathname;
    let handled;
    if (path.startsWith('/admin/')) handled = admin(req, res, path, provider);
    else if (path.startsWith('/interaction/')) handled = interaction(req, res, provider);
    else return oidc(req, res);
    return handled.catch((err) => {
      console.error(err);
      if (!res.headersSent) send(res, 500, { error: String(err) });
    });
  });
  console.log(`READY ${issuer}`);
});

// interaction completes the login prompt with the chosen account and gives
// consent at once to everything the client asked for (a grant of the
// requested scopes and claims), or denies.
async function interaction(req, res, provider) {
  const details = await provider.interactionDetails(req, res);
  const deny = (description) => provider.interactionFinished(req, res, {
    error: 'access_denied', error_description: description,
  }, { mergeWithLastSubmission: false });
  if (login.deny) return deny('the user declined (upstreamtest DenyLogins)');

  let sub = details.session?.accountId;
  if (details.prompt.name === 'login') {
    sub = chooseAccount(details.params.login_hint);
    if (!sub) return deny('no account chosen for this login (upstreamtest LoginAs)');
  }
  const grant = new provider.Grant({ accountId: sub, clientId: details.params.client_id });
  if (details.params.scope) grant.addOIDCScope(details.params.scope);
  const requested = details.params.claims ? JSON.parse(details.params.claims) : {};
  for (const use of ['id_token', 'userinfo']) {
    if (requested[use]) grant.addOIDCClaims(Object.keys(requested[use]));
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, {
    login: { accountId: sub },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

function chooseAccount(hint) {
  if (hint) {
    if (accounts.has(hint)) return hint;
    for (const [sub, c] of accounts) if (c.email === hint) return sub;
  }
  if (login.sub && accounts.has(login.sub)) return login.sub;
  if (!login.sub && accounts.size === 1) return [...accounts.keys()][0];
  return undefined;
}

async function admin(req, res, path, provider) {
  const given = Buffer.from(req.headers.authorization || '');
  const want = Buffer.from(`Bearer ${adminToken}`);
  if (given.length !== want.length || !crypto.timingSafeEqual(given, want)) {
    return send(res, 401, { error: 'bad admin token' });
  }
  const body = req.method === 'GET' ? {} : await readJSON(req);
  const route = `${req.method} ${path}`;

  if (route === 'POST /admin/clients') {
    // body: client_id, client_secret, redirect_uris, scope (allowed scopes,
    // space-separated; empty = any), token_endpoint_auth_method,
    // application_type, access_token_ttl (seconds), rotate_refresh_tokens,
    // always_issue_refresh_token.
    const metadata = {
      client_id: body.client_id,
      client_secret: body.client_secret,
      redirect_uris: body.redirect_uris || [],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: body.token_endpoint_auth_method || 'client_secret_basic',
      application_type: body.application_type || 'web',
      ...(body.scope ? { scope: body.scope } : {}),
    };
    try {
      await provider.Client.validate(metadata);
    } catch (err) {
      return send(res, 400, { error: err.message, error_description: err.error_description });
    }
    store.set('Client', metadata.client_id, metadata);
    clientSettings.set(metadata.client_id, {
      access_token_ttl: body.access_token_ttl,
      rotate_refresh_tokens: body.rotate_refresh_tokens,
      always_issue_refresh_token: body.always_issue_refresh_token,
    });
    return send(res, 200, metadata);
  }
  if (route === 'POST /admin/accounts') {
    if (!body.sub) return send(res, 400, { error: 'sub is required' });
    accounts.set(body.sub, body);
    return send(res, 200, body);
  }
  if (route === 'POST /admin/login') {
    login = { sub: body.sub || undefined, deny: Boolean(body.deny) };
    return send(res, 200, login);
  }
  const revoke = path.match(/^\/admin\/accounts\/(.+)\/revoke$/);
  if (req.method === 'POST' && revoke) {
    // The user withdrew the client's access at the provider: every grant of
    // the account goes, with its tokens, so a refresh fails with invalid_grant.
    const sub = decodeURIComponent(revoke[1]);
    return send(res, 200, { revoked: store.revokeAccount(sub, body.client_id) });
  }
  if (route === 'GET /admin/stats') return send(res, 200, stats);
  return send(res, 404, { error: `no admin route ${route}` });
}

function readJSON(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => {
      try { resolve(data ? JSON.parse(data) : {}); } catch (err) { reject(err); }
    });
    req.on('error', reject);
  });
}

function send(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
