// Audit: the trail across the fleet, filtered and paged; its export; and the verification of the hash chain.

import { api, get, post, qs, seg } from '../api.js';
import { h, fill, problemBox, table, field, timeEl, pageHeader, progress, messageArea } from '../dom.js';

export function auditPage(view) {
  const twinId = h('input', { type: 'text', id: 'audit-twin', 'data-testid': 'audit-twin', autocomplete: 'off' });
  const principal = h('input', { type: 'text', id: 'audit-principal', 'data-testid': 'audit-principal', autocomplete: 'off' });
  const channel = h('select', { id: 'audit-channel', 'data-testid': 'audit-channel' },
    ['', 'api', 'device', 'configuration', 'rollout', 'job'].map(c => h('option', { value: c }, c || 'any')));
  const from = h('input', { type: 'datetime-local', id: 'audit-from', 'data-testid': 'audit-from', step: 1 });
  const to = h('input', { type: 'datetime-local', id: 'audit-to', 'data-testid': 'audit-to', step: 1 });
  const format = h('select', { id: 'audit-format', 'data-testid': 'audit-format' },
    h('option', { value: 'ndjson' }, 'NDJSON'), h('option', { value: 'csv' }, 'CSV'));
  const results = h('div', { 'data-testid': 'audit-results' });
  const listMsg = messageArea();
  const prev = h('button', { type: 'button', 'data-testid': 'audit-prev', disabled: true }, 'Previous');
  const next = h('button', { type: 'button', 'data-testid': 'audit-next', disabled: true }, 'Next');
  const pageInfo = h('span', { class: 'page-info' });
  const exportMsg = messageArea({ 'data-testid': 'audit-export-messages' });
  let tokens = [null];
  let pageIndex = 0;
  let disposed = false;

  function filters() {
    const iso = input => (input.value ? new Date(input.value).toISOString() : null);
    return { twinId: twinId.value.trim(), principal: principal.value.trim(), channel: channel.value, from: iso(from), to: iso(to) };
  }

  async function load(index) {
    listMsg.clear();
    try {
      const answer = await get('/audit' + qs({ ...filters(), pageSize: 50, continuationToken: tokens[index] }));
      if (disposed) {
        return;
      }
      pageIndex = index;
      tokens = tokens.slice(0, index + 1);
      if (answer.continuationToken) {
        tokens[index + 1] = answer.continuationToken;
      }
      prev.disabled = index === 0;
      next.disabled = !answer.continuationToken;
      pageInfo.textContent = `Page ${index + 1}`;
      fill(results, table([
        { title: 'When', cell: r => timeEl(r.time) },
        { title: 'Twin', cell: r => h('a', { href: twinHref(r.twinId) }, r.twinId) },
        { title: 'Version', cell: r => String(r.version) },
        { title: 'What', cell: r => r.eventType },
        { title: 'Who', cell: r => r.principal },
        { title: 'Channel', cell: r => r.channel },
        { title: 'Why', cell: r => r.reason },
        { title: 'Changed', cell: r => (r.paths || []).join(', ') },
      ], answer.items || [], { 'data-testid': 'audit-table' }));
    } catch (e) {
      listMsg.show(e);
    }
  }

  async function exportTrail() {
    exportMsg.note('Exporting…', 'muted');
    try {
      const response = await api('/audit/export' + qs({ ...filters(), format: format.value }), { raw: true });
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = h('a', { href: url, download: `audit-${new Date().toISOString().replace(/[:.]/g, '-')}.${format.value}` });
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      exportMsg.note(`Exported ${blob.size} bytes as ${format.value}.`);
    } catch (e) {
      exportMsg.show(e);
    }
  }

  // ---- Verification of the chain (async: POST /audit/verifications, then poll) --------------------------------
  const scope = h('select', { id: 'verify-scope', 'data-testid': 'verify-scope' },
    h('option', { value: 'all' }, 'the whole store'),
    h('option', { value: 'twin' }, 'the twin in the filter'),
    h('option', { value: 'range' }, 'the time range in the filter'));
  const withHistory = h('input', { type: 'checkbox', id: 'verify-history', checked: true });
  const verifyOut = h('div', { 'data-testid': 'verify-out', 'aria-live': 'polite' });
  const verifyButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'verify' }, 'Verify the chain');
  let pollTimer = null;

  async function verify() {
    const body = {};
    const f = filters();
    if (scope.value === 'twin') {
      if (!f.twinId) {
        fill(verifyOut, problemBox({ problem: { title: 'No twin', detail: 'Fill in the twin filter above first.' } }));
        return;
      }
      body.twinId = f.twinId;
    } else if (scope.value === 'range') {
      if (!f.from || !f.to) {
        fill(verifyOut, problemBox({ problem: { title: 'No range', detail: 'Fill in both From and To above first.' } }));
        return;
      }
      body.from = f.from;
      body.to = f.to;
    }
    if (!withHistory.checked) {
      body.history = false;
    }
    verifyButton.disabled = true;
    try {
      const started = (await post('/audit/verifications', body)).body;
      showVerification(started);
      poll(started.id);
    } catch (e) {
      verifyButton.disabled = false;
      fill(verifyOut, problemBox(e));
    }
  }

  function poll(id) {
    pollTimer = setTimeout(async () => {
      pollTimer = null;
      try {
        const v = await get('/audit/verifications/' + seg(id));
        if (disposed) {
          return;
        }
        showVerification(v);
        if (v.state === 'running') {
          poll(id);
        } else {
          verifyButton.disabled = false;
        }
      } catch (e) {
        verifyButton.disabled = false;
        fill(verifyOut, problemBox(e));
      }
    }, 300);
  }

  function showVerification(v) {
    const r = v.result;
    const broken = r && r.firstBrokenAt;
    fill(verifyOut,
      progress(v.checked || 0, v.total || 0, 'Checked', { 'data-testid': 'verify-progress' }),
      h('p', {}, 'State: ', h('strong', { 'data-testid': 'verify-state' }, v.state)),
      r ? h('p', { class: r.valid ? 'note ok' : 'note bad', 'data-testid': 'verify-result' },
        r.valid ? 'valid' : 'broken',
        ` · ${r.checked} events checked, ${r.historyRowsChecked} history rows`) : null,
      broken ? h('div', { class: 'problem', role: 'alert', 'data-testid': 'verify-broken' },
        h('strong', {}, 'First broken link'),
        h('dl', { class: 'summary' }, Object.entries(broken).map(([k, val]) => [h('dt', {}, k), h('dd', {}, String(val))]))) : null,
      v.state === 'failed' && !r ? h('p', { class: 'note bad' }, 'The verification failed: ' + (v.error || v.detail || 'see the platform log')) : null);
  }
  verifyButton.addEventListener('click', verify);

  const form = h('form', { class: 'panel filters', 'data-testid': 'audit-filters', onsubmit: e => {
    e.preventDefault();
    tokens = [null];
    load(0);
  } },
  h('h2', {}, 'Filter'),
  h('div', { class: 'filter-grid' }, field('Twin id', twinId, 'deviceId or deviceId/moduleId'), field('Principal', principal),
    field('Channel', channel), field('From', from), field('To (exclusive)', to)),
  h('div', { class: 'actions' },
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'audit-search' }, 'Search'),
    field('Export format', format),
    h('button', { type: 'button', 'data-testid': 'audit-export', onclick: exportTrail }, 'Export')),
  exportMsg.el);
  prev.addEventListener('click', () => load(Math.max(0, pageIndex - 1)));
  next.addEventListener('click', () => load(pageIndex + 1));

  fill(view, pageHeader('Audit'), form,
    h('section', { class: 'panel' }, h('h2', {}, 'Changes'), listMsg.el, results, h('div', { class: 'pager' }, prev, pageInfo, next)),
    h('section', { class: 'panel', 'data-testid': 'verify-panel' }, h('h2', {}, 'Verify the hash chain'),
      h('p', { class: 'hint' }, 'Recomputes every link of the chain in scope from the stored events and compares the history rows with their events; the first broken link, if any, is shown.'),
      h('div', { class: 'actions' }, field('Scope', scope), h('label', { class: 'check' }, withHistory, ' also check the history rows'), verifyButton),
      verifyOut));
  load(0);
  return () => {
    disposed = true;
    clearTimeout(pollTimer);
  };
}

function twinHref(id) {
  const slash = id.indexOf('/');
  return slash < 0 ? '#/twins/' + encodeURIComponent(id)
    : '#/twins/' + encodeURIComponent(id.slice(0, slash)) + '/modules/' + encodeURIComponent(id.slice(slash + 1));
}
