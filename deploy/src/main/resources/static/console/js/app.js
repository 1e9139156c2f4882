// The console's entry: hash routing, the header (who is signed in, the live indicator, the nav by role), sign-in.

import { credential, setCredential, clearCredential, whenUnauthorized } from './api.js';
import { h, fill, problemBox, field } from './dom.js';
import { loadMe, current, forget, may } from './session.js';
import { startLive, stopLive, onLiveState } from './live.js';
import { disposeCharts } from './charts.js';
import { fleetPage } from './pages/fleet.js';
import { twinPage } from './pages/twin.js';
import { configurationsPage, configurationPage } from './pages/configurations.js';
import { rolloutPage } from './pages/rollout.js';
import { jobsPage } from './pages/jobs.js';
import { auditPage } from './pages/audit.js';
import { adminPage } from './pages/admin.js';
import { oidcSettings, beginSignIn, finishSignIn } from './oidc.js';

const view = document.getElementById('view');
let cleanup = null;
let signInProblem = null;
let renderSeq = 0;
/** The platform's OIDC sign-in ({issuer, clientId, scope}) when it offers one (/console/config.json), else null. */
let oidc = null;

/** The routes: a pattern of hash segments (':x' takes one) and its page, with the permission it needs. */
const ROUTES = [
  { path: ['fleet'], page: fleetPage, need: 'read' },
  { path: ['twins', ':device', 'modules', ':module'], page: twinPage, need: ['read', 'audit'] },
  { path: ['twins', ':device'], page: twinPage, need: ['read', 'audit'] },
  { path: ['configurations'], page: configurationsPage, need: 'read' },
  { path: ['configurations', ':id'], page: configurationPage, need: 'read' },
  { path: ['rollouts', ':id'], page: rolloutPage, need: 'read' },
  { path: ['jobs'], page: jobsPage, need: 'read' },
  { path: ['jobs', ':id'], page: jobsPage, need: 'read' },
  { path: ['audit'], page: auditPage, need: 'audit' },
  { path: ['admin'], page: adminPage, need: 'admin' },
];

function segments() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path] = hash.split('?');
  return path === '' ? [] : path.split('/').map(s => {
    try {
      return decodeURIComponent(s);
    } catch (e) {
      return s;
    }
  });
}

function match(parts) {
  for (const route of ROUTES) {
    if (route.path.length !== parts.length) {
      continue;
    }
    const params = {};
    let ok = true;
    route.path.forEach((p, i) => {
      if (p.startsWith(':')) {
        params[p.slice(1)] = parts[i];
      } else if (p !== parts[i]) {
        ok = false;
      }
    });
    if (ok) {
      return { route, params };
    }
  }
  return null;
}

function home() {
  if (may('read')) {
    return '#/fleet';
  }
  if (may('audit')) {
    return '#/audit';
  }
  if (may('admin')) {
    return '#/admin';
  }
  return '#/none';
}

function allowed(need) {
  return (Array.isArray(need) ? need : [need]).some(n => may(n));
}

async function render() {
  const seq = ++renderSeq;
  if (cleanup) {
    try {
      cleanup();
    } catch (e) {
      // a page that failed to clean up must not block the next one
    }
    cleanup = null;
  }
  disposeCharts();
  closeMenu();
  const parts = segments();
  if (!credential()) {
    showHeader(false);
    if (parts[0] !== 'signin') {
      location.replace('#/signin');
      return;
    }
    signInPage();
    return;
  }
  if (!current()) {
    fill(view, h('p', { class: 'loading' }, 'Signing in…'));
    try {
      await loadMe();
    } catch (e) {
      if (seq !== renderSeq) {
        return;
      }
      if (!credential()) {
        return; // the 401 handler went to sign-in
      }
      fill(view, problemBox(e));
      return;
    }
    if (seq !== renderSeq) {
      return;
    }
    showHeader(true);
    if (may('read')) {
      startLive();
    }
  }
  if (parts[0] === 'signin' || parts.length === 0) {
    location.replace(home());
    return;
  }
  const found = match(parts);
  if (!found) {
    fill(view, h('div', { class: 'panel' }, h('h1', {}, 'Not here'),
      h('p', {}, 'There is no page at this address, or your roles show nothing here. '),
      h('p', {}, h('a', { href: home() }, 'Go to the start page'))));
    return;
  }
  if (!allowed(found.route.need)) {
    fill(view, h('div', { class: 'panel' }, h('h1', {}, 'Not for your roles'),
      h('p', {}, `Your roles (${(current().roles || []).join(', ') || 'none'}) do not show this page.`),
      h('p', {}, h('a', { href: home() }, 'Go to the start page'))));
    return;
  }
  highlightNav(parts[0]);
  fill(view);
  cleanup = found.route.page(view, found.params) || null;
  document.getElementById('main').focus({ preventScroll: true });
}

function highlightNav(first) {
  const section = first === 'twins' ? 'fleet' : first === 'rollouts' ? 'configurations' : first;
  document.querySelectorAll('#nav a').forEach(a => {
    if (a.getAttribute('href') === '#/' + section) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  });
}

function showHeader(signedIn) {
  const who = document.getElementById('who');
  const nav = document.getElementById('nav');
  who.hidden = !signedIn;
  nav.hidden = !signedIn;
  document.getElementById('menu-toggle').hidden = !signedIn;
  document.body.classList.toggle('signed-in', signedIn);
  if (!signedIn) {
    return;
  }
  const me = current();
  document.getElementById('principal').textContent = me.principal;
  fill(document.getElementById('roles'), (me.roles || []).map(r => h('span', { class: 'role' }, r)),
    me.scope ? h('span', { class: 'scope', title: 'Your scope: the twins you may see' }, 'scope: ' + me.scope) : null);
  document.querySelectorAll('#nav [data-may]').forEach(a => {
    a.parentElement.hidden = !may(a.dataset.may);
  });
}

function signInPage() {
  const input = h('textarea', { id: 'credential', 'data-testid': 'credential', rows: 3, required: true,
    autocomplete: 'off', spellcheck: 'false', placeholder: 'twk_… or eyJ…' });
  const form = h('form', { class: 'panel signin', 'data-testid': 'signin-form', onsubmit: e => {
    e.preventDefault();
    const value = input.value.trim().replace(/^Bearer\s+/i, '');
    if (!value) {
      return;
    }
    signInProblem = null;
    setCredential(value);
    forget();
    location.hash = '#/'; // the start page for these roles
  } },
  h('h1', {}, 'Sign in'),
  h('p', {}, 'Paste an API key (', h('code', {}, 'twk_…'), ') or a bearer token (a JWT). It is kept in this tab only ',
    '(session storage) and sent as ', h('code', {}, 'Authorization: Bearer …'), '.'),
  signInProblem ? problemBox({ problem: signInProblem }) : null,
  oidc ? h('div', { class: 'oidc' },
    h('button', { type: 'button', class: 'primary', 'data-testid': 'signin-oidc', onclick: async e => {
      const button = e.currentTarget;
      button.disabled = true;
      try {
        await beginSignIn(oidc);
      } catch (err) {
        button.disabled = false;
        signInProblem = { title: 'Signing in at the issuer failed', detail: err.message };
        signInPage();
      }
    } }, 'Sign in at ' + new URL(oidc.issuer).host),
    h('p', { class: 'hint' }, 'Your identity provider signs you in and sends you back here; or paste a key or token below.')) : null,
  field('API key or token', input),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: oidc ? '' : 'primary', 'data-testid': 'signin' }, 'Sign in')));
  fill(view, form);
  input.focus();
}

function signOut(problem) {
  clearCredential();
  forget();
  stopLive();
  signInProblem = problem || null;
  showHeader(false);
  if (location.hash !== '#/signin') {
    location.hash = '#/signin';
  } else {
    render();
  }
}

function closeMenu() {
  const toggle = document.getElementById('menu-toggle');
  toggle.setAttribute('aria-expanded', 'false');
  document.getElementById('nav').classList.remove('open');
}

whenUnauthorized(problem => {
  if (credential()) {
    signOut(problem && typeof problem === 'object' ? problem
      : { title: 'Unauthorized', status: 401, detail: 'The platform refused the credential.' });
  }
});

document.getElementById('signout').addEventListener('click', () => signOut(null));
document.getElementById('menu-toggle').addEventListener('click', () => {
  const toggle = document.getElementById('menu-toggle');
  const open = toggle.getAttribute('aria-expanded') !== 'true';
  toggle.setAttribute('aria-expanded', String(open));
  document.getElementById('nav').classList.toggle('open', open);
});
onLiveState(state => {
  const el = document.getElementById('live');
  el.dataset.state = state;
  el.title = { off: 'Live updates off', connecting: 'Connecting to live updates…', connected: 'Live: changes arrive as they happen',
    retrying: 'Live updates interrupted, reconnecting…' }[state];
});
window.addEventListener('hashchange', render);

/** Reads the OIDC setting, finishes a sign-in the issuer has just sent the browser back from, then renders. */
async function start() {
  try {
    oidc = await oidcSettings();
  } catch (e) {
    oidc = null; // no OIDC sign-in offered: keys and pasted tokens still work
  }
  if (oidc) {
    try {
      const token = await finishSignIn(oidc);
      if (token) {
        setCredential(token);
        forget();
        if (location.hash === '' || location.hash.startsWith('#/signin')) {
          history.replaceState(null, '', location.pathname + '#/');
        }
      }
    } catch (e) {
      signInProblem = { title: 'Signing in at the issuer failed', detail: e.message };
    }
  }
  render();
}
start();
