// Admin: API keys (make, list, revoke; a new key's secret is shown once) and projections (replay, with progress).

import { api, get, post, seg } from '../api.js';
import { h, fill, problemBox, table, field, timeEl, pageHeader, progress, confirmDialog, messageArea } from '../dom.js';

const ROLES = ['viewer', 'operator', 'auditor', 'admin', 'gateway', 'monitor'];

export function adminPage(view) {
  let disposed = false;
  let timer = null;

  // ---- Keys ---------------------------------------------------------------------------------------------------
  const keys = h('div', { 'data-testid': 'keys' });
  const keyMsg = messageArea({ 'data-testid': 'key-messages' });
  const name = h('input', { type: 'text', id: 'key-name', 'data-testid': 'key-name', required: true, autocomplete: 'off' });
  const roleBoxes = ROLES.map(r => h('label', { class: 'check' },
    h('input', { type: 'checkbox', value: r, 'data-testid': 'key-role-' + r, checked: r === 'viewer' }), ' ' + r));
  const secret = h('div', { 'data-testid': 'key-secret-box' });

  async function loadKeys() {
    try {
      const answer = await get('/admin/keys');
      if (disposed) {
        return;
      }
      fill(keys, table([
        { title: 'Id', cell: k => h('code', {}, k.id) },
        { title: 'Name', cell: k => k.name },
        { title: 'Roles', cell: k => (k.roles || []).join(', ') },
        { title: 'Scope', cell: k => k.scope || '' },
        { title: 'Created', cell: k => [timeEl(k.createdAt), k.createdBy ? ` by ${k.createdBy}` : ''] },
        { title: 'State', cell: k => k.revokedAt || k.revoked ? ['revoked ', timeEl(k.revokedAt)] : 'active' },
        { title: '', cell: k => k.revokedAt || k.revoked ? '' : h('button', { type: 'button', class: 'danger small',
          'data-testid': 'revoke-' + k.id, onclick: () => revoke(k) }, 'Revoke') },
      ], answer.keys || []));
    } catch (e) {
      fill(keys, problemBox(e));
    }
  }

  async function revoke(k) {
    const answer = await confirmDialog('Revoke key ' + k.name, `Revoke ${k.principal || k.id}? Requests with it are refused from now on; its events keep naming it.`, { okLabel: 'Revoke' });
    if (!answer.ok) {
      return;
    }
    keyMsg.clear();
    try {
      await api('/admin/keys/' + seg(k.id), { method: 'DELETE' });
      keyMsg.note(`Key ${k.name} revoked.`);
      loadKeys();
    } catch (e) {
      keyMsg.show(e);
    }
  }

  const keyForm = h('form', { class: 'panel', 'data-testid': 'key-form', onsubmit: async e => {
    e.preventDefault();
    keyMsg.clear();
    fill(secret);
    const roles = roleBoxes.map(l => l.querySelector('input')).filter(i => i.checked).map(i => i.value);
    try {
      const created = (await post('/admin/keys', { name: name.value.trim(), roles })).body;
      const secretText = h('input', { type: 'text', readonly: true, id: 'key-secret', 'data-testid': 'key-secret', value: created.key, size: 40 });
      fill(secret, h('div', { class: 'note ok', role: 'status' },
        h('p', {}, h('strong', {}, `Key ${created.name} made (${created.principal}).`), ' Copy it now: it is shown this once and never again.'),
        field('Key', secretText)));
      secretText.select();
      name.value = '';
      loadKeys();
    } catch (err) {
      keyMsg.show(err);
    }
  } },
  h('h2', {}, 'Make a key'),
  field('Name', name, 'a name is never reused'),
  h('fieldset', {}, h('legend', {}, 'Roles'), roleBoxes),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'key-create' }, 'Make key')),
  keyMsg.el, secret);

  // ---- Projections --------------------------------------------------------------------------------------------
  const projections = h('div', { 'data-testid': 'projections' });
  const projMsg = messageArea({ 'data-testid': 'projection-messages' });

  async function loadProjections() {
    clearTimeout(timer);
    timer = null;
    try {
      const answer = await get('/admin/projections');
      if (disposed) {
        return;
      }
      const list = answer.projections || [];
      fill(projections, h('p', { class: 'muted' }, `Event store head: ${answer.head}`), table([
        { title: 'Projection', cell: p => p.name },
        { title: 'Running', cell: p => p.running ? 'yes' : 'no' },
        { title: 'Position', cell: p => String(p.position) },
        { title: 'Replay', cell: p => p.replaying ? progress(p.done || 0, p.total || 0, 'Replaying', { 'data-testid': 'replay-progress-' + p.name })
          : p.finishedAfterSeconds !== undefined ? `last replay took ${p.finishedAfterSeconds} s` : '' },
        { title: 'Faults', cell: p => String(p.quarantinedTwins || 0) + (p.stalled ? ' · stalled' : '') },
        { title: '', cell: p => h('button', { type: 'button', class: 'small', 'data-testid': 'replay-' + p.name, disabled: p.replaying,
          onclick: () => replay(p) }, 'Replay') },
      ], list));
      if (list.some(p => p.replaying)) {
        timer = setTimeout(loadProjections, 1000);
      }
    } catch (e) {
      fill(projections, problemBox(e));
    }
  }

  async function replay(p) {
    const answer = await confirmDialog('Replay ' + p.name, `Rebuild ${p.name} from the event store? Writes go on meanwhile; its reads may lag until it catches up.`, { okLabel: 'Replay' });
    if (!answer.ok) {
      return;
    }
    projMsg.clear();
    try {
      await post('/admin/projections/' + seg(p.name) + '/replay', {});
      projMsg.note(`Replay of ${p.name} started.`);
    } catch (e) {
      projMsg.show(e);
    }
    loadProjections();
  }

  fill(view, pageHeader('Admin'),
    h('section', { class: 'panel' }, h('h2', {}, 'API keys'), keys),
    keyForm,
    h('section', { class: 'panel' }, h('h2', {}, 'Projections'), projMsg.el, projections));
  loadKeys();
  loadProjections();
  return () => {
    disposed = true;
    clearTimeout(timer);
  };
}
