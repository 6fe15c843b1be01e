// flow.mjs drives Latchkey's OAuth 2.0 / OpenID Connect provider with
// openid-client, the OpenID-certified relying party, and reports what it saw.
// internal/oauth/interop_test.go runs it and plays the browser:
//
//   1. the script discovers the issuer and prints one JSON line on stdout:
//        {"authorization_url": "..."}            (PKCE S256, state, nonce)
//   2. the test opens that URL with a signed-in browser and writes the
//      callback URL (the Location it was sent to) as one line on stdin;
//   3. the script runs the code exchange (openid-client validates the ID
//      token, state, iss and PKCE), userinfo, introspection, refresh,
//      revocation, client_credentials and builds the end-session URL, then
//      prints one JSON line: {"report": {...}}.
//
// Any unexpected failure prints {"error": "...", "step": "..."} and exits 1.
// Input, from the environment: LK_ISSUER, LK_CLIENT_ID, LK_CLIENT_SECRET,
// LK_REDIRECT_URI, LK_POST_LOGOUT_REDIRECT_URI.

import * as client from 'openid-client';
import { createInterface } from 'node:readline';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

let step = 'start';
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

// readLine resolves with the first line on stdin.
function readLine() {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin });
    rl.once('line', (line) => { resolve(line.trim()); rl.close(); });
    rl.once('close', () => reject(new Error('stdin closed before the callback URL arrived')));
  });
}

// jwtHeader decodes a compact JWS header without verifying anything.
const jwtHeader = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString());

// expectFailure runs fn, which must be refused by the server; it returns the
// OAuth error code openid-client surfaced: from the body of a token-endpoint
// error, or from the WWW-Authenticate challenge of a protected resource.
async function expectFailure(fn) {
  try {
    await fn();
  } catch (err) {
    if (err instanceof client.WWWAuthenticateChallengeError) {
      const challenge = err.cause.find((c) => c.parameters.error);
      if (challenge) return `${challenge.scheme} ${challenge.parameters.error}`;
    }
    return err.error ?? err.code ?? err.name;
  }
  return 'no error';
}

async function main() {
  const issuer = new URL(env('LK_ISSUER'));
  const clientId = env('LK_CLIENT_ID');
  const clientSecret = env('LK_CLIENT_SECRET');
  const redirectUri = env('LK_REDIRECT_URI');
  const postLogout = env('LK_POST_LOGOUT_REDIRECT_URI');
  const report = {};

  // Tests run on http://localhost: openid-client refuses plain HTTP unless
  // told otherwise, for discovery and for every later request.
  const insecure = { execute: [client.allowInsecureRequests] };

  step = 'discovery';
  // client_secret_basic for the user flow, client_secret_post for the
  // machine flow: both methods the server advertises get exercised.
  const config = await client.discovery(issuer, clientId, clientSecret, client.ClientSecretBasic(clientSecret), insecure);
  const machine = await client.discovery(issuer, clientId, clientSecret, client.ClientSecretPost(clientSecret), insecure);
  const meta = config.serverMetadata();
  report.discovery = {
    issuer: meta.issuer,
    authorization_endpoint: meta.authorization_endpoint,
    token_endpoint: meta.token_endpoint,
    userinfo_endpoint: meta.userinfo_endpoint,
    jwks_uri: meta.jwks_uri,
    introspection_endpoint: meta.introspection_endpoint,
    revocation_endpoint: meta.revocation_endpoint,
    end_session_endpoint: meta.end_session_endpoint,
    code_challenge_methods_supported: meta.code_challenge_methods_supported,
    supportsPKCE: config.serverMetadata().supportsPKCE(),
  };

  step = 'authorization_url';
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authURL = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email offline_access',
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  report.authorization = { state, nonce, code_challenge: codeChallenge };
  out({ authorization_url: authURL.href });

  step = 'callback';
  const callback = new URL(await readLine());
  report.authorization.callback_has_iss = callback.searchParams.get('iss') === meta.issuer;

  step = 'authorization_code_grant';
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  report.code = {
    token_type: tokens.token_type,
    scope: tokens.scope,
    expires_in: tokens.expiresIn(),
    has_refresh_token: typeof tokens.refresh_token === 'string' && tokens.refresh_token.length > 0,
    access_token_header: jwtHeader(tokens.access_token),
    id_token_header: jwtHeader(tokens.id_token),
    id_token: {
      iss: claims.iss, sub: claims.sub, aud: claims.aud, nonce: claims.nonce, auth_time: claims.auth_time,
      email: claims.email, email_verified: claims.email_verified, name: claims.name,
    },
  };

  step = 'userinfo';
  // openid-client checks that userinfo's sub is the ID token's.
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  report.userinfo = { sub: info.sub, email: info.email, email_verified: info.email_verified, name: info.name };

  step = 'introspection';
  const atInfo = await client.tokenIntrospection(config, tokens.access_token);
  const rtInfo = await client.tokenIntrospection(config, tokens.refresh_token);
  report.introspection = {
    access_token: { active: atInfo.active, client_id: atInfo.client_id, sub: atInfo.sub, scope: atInfo.scope, token_type: atInfo.token_type, iss: atInfo.iss },
    refresh_token: { active: rtInfo.active, client_id: rtInfo.client_id, sub: rtInfo.sub, token_type: rtInfo.token_type },
    garbage: (await client.tokenIntrospection(config, 'not-a-token')).active,
  };

  step = 'refresh';
  // A refreshed ID token is validated too: same iss, sub and aud.
  const fresh = await client.refreshTokenGrant(config, tokens.refresh_token);
  report.refresh = {
    rotated: !!fresh.refresh_token && fresh.refresh_token !== tokens.refresh_token,
    new_access_token: fresh.access_token !== tokens.access_token,
    id_token_sub: fresh.claims()?.sub,
    userinfo_sub: (await client.fetchUserInfo(config, fresh.access_token, claims.sub)).sub,
    spent_token_active: (await client.tokenIntrospection(config, tokens.refresh_token)).active,
  };

  step = 'revocation';
  // Revoking the access token ends its grant: the fresh refresh token too.
  await client.tokenRevocation(config, fresh.access_token);
  report.revocation = {
    access_token_active: (await client.tokenIntrospection(config, fresh.access_token)).active,
    refresh_token_active: (await client.tokenIntrospection(config, fresh.refresh_token)).active,
    userinfo_error: await expectFailure(() => client.fetchUserInfo(config, fresh.access_token, claims.sub)),
    refresh_error: await expectFailure(() => client.refreshTokenGrant(config, fresh.refresh_token)),
  };

  step = 'client_credentials';
  const cc = await client.clientCredentialsGrant(machine);
  const ccInfo = await client.tokenIntrospection(machine, cc.access_token);
  await client.tokenRevocation(machine, cc.access_token);
  report.client_credentials = {
    token_type: cc.token_type,
    expires_in: cc.expiresIn(),
    has_refresh_token: cc.refresh_token !== undefined,
    introspection: { active: ccInfo.active, sub: ccInfo.sub, client_id: ccInfo.client_id },
    active_after_revocation: (await client.tokenIntrospection(machine, cc.access_token)).active,
    userinfo_error: await expectFailure(() => client.fetchUserInfo(machine, cc.access_token, client.skipSubjectCheck)),
  };

  step = 'end_session';
  const endState = client.randomState();
  const endURL = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: postLogout,
    state: endState,
  });
  report.end_session = { url: endURL.href, state: endState };

  out({ report });
}

main().catch((err) => {
  out({ error: `${err.name}: ${err.message}${err.error ? ` (${err.error}: ${err.error_description ?? ''})` : ''}`, step });
  process.exitCode = 1;
});
