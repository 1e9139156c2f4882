// Signing in at the platform's OIDC issuer: the authorization code flow with PKCE (RFC 7636), as a public client.
// The issuer sends the browser back to the console's own address with ?code=&state=; the code is exchanged for an
// access token, which the console then sends as its bearer credential, as it would a pasted one.

const PENDING = 'twin.console.oidc';

/** The console's OIDC setting ({issuer, clientId, scope}), or null when the platform has none. */
export async function oidcSettings() {
  const answer = await fetch('config.json', { cache: 'no-store' });
  if (!answer.ok) {
    return null;
  }
  return (await answer.json()).oidc ?? null;
}

async function discovery(issuer) {
  const answer = await fetch(issuer.replace(/\/$/, '') + '/.well-known/openid-configuration');
  if (!answer.ok) {
    throw new Error(`the issuer's OpenID configuration could not be read (${answer.status})`);
  }
  return answer.json();
}

function randomText(bytes) {
  const values = new Uint8Array(bytes);
  crypto.getRandomValues(values);
  return base64url(values);
}

function base64url(bytes) {
  let text = '';
  for (const b of bytes) {
    text += String.fromCharCode(b);
  }
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function redirectUri() {
  return location.origin + location.pathname;
}

/** Leaves for the issuer's sign-in page; it sends the browser back here. */
export async function beginSignIn(oidc) {
  const config = await discovery(oidc.issuer);
  const verifier = randomText(32);
  const state = randomText(16);
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256',
      new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const url = new URL(config.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: oidc.clientId, redirect_uri: redirectUri(), scope: oidc.scope,
    state, code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/**
 * When the issuer has just sent the browser back (?code=&state= or ?error=), the access token it grants; null when
 * this page load is no such return. Throws with the issuer's reason when signing in failed.
 */
export async function finishSignIn(oidc) {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) {
    return null;
  }
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null');
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', redirectUri() + location.hash);
  if (params.has('error')) {
    throw new Error(`the issuer refused: ${params.get('error_description') ?? params.get('error')}`);
  }
  if (!pending || pending.state !== params.get('state')) {
    throw new Error('this sign-in was not started here (its state does not match); sign in again');
  }
  const config = await discovery(oidc.issuer);
  const answer = await fetch(config.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri(),
      client_id: oidc.clientId, code_verifier: pending.verifier,
    }).toString(),
  });
  const tokens = await answer.json().catch(() => ({}));
  if (!answer.ok || !tokens.access_token) {
    throw new Error(`the issuer gave no token: ${tokens.error_description ?? tokens.error ?? answer.status}`);
  }
  return tokens.access_token;
}
