// A rollout: its state, its phases as progress bars, its decisions with their reasons, and the operator's buttons.

import { get, post, seg, ApiError } from '../api.js';
import { h, fill, problemBox, table, timeEl, pageHeader, progress, confirmDialog, messageArea } from '../dom.js';
import { may } from '../session.js';

const FINAL = ['aborted', 'rolledBack'];
const ACTIONS = [
  { action: 'pause', label: 'Pause', states: ['running'], text: 'Pause the rollout? No further phase starts until it is resumed.' },
  { action: 'resume', label: 'Resume', states: ['paused'], text: 'Resume the rollout? The phase\'s clock starts again.' },
  { action: 'abort', label: 'Abort', states: ['running', 'paused'], text: 'Abort the rollout? It stops for good and leaves every twin as it is.' },
  { action: 'rollback', label: 'Roll back', states: ['running', 'paused', 'completed'], text: 'Roll the rollout back? Every twin it changed gets the values it had before (later changes by others are kept).' },
];

export function rolloutPage(view, { id }) {
  const state = h('dl', { class: 'summary', 'data-testid': 'rollout-summary' });
  const buttons = h('div', { class: 'actions', 'data-testid': 'rollout-actions' });
  const messages = messageArea({ 'data-testid': 'rollout-messages' });
  const phases = h('div', { class: 'phases', 'data-testid': 'rollout-phases' });
  const decisions = h('div', { 'data-testid': 'rollout-decisions' });
  const problem = h('div');
  let timer = null;
  let disposed = false;
  let rollout = null;

  fill(view, pageHeader('Rollout ' + id), problem,
    h('section', { class: 'panel' }, h('h2', {}, 'State'), state, buttons, messages.el),
    h('section', { class: 'panel' }, h('h2', {}, 'Phases'), phases),
    h('section', { class: 'panel' }, h('h2', {}, 'Decisions'), decisions));

  async function load() {
    try {
      rollout = await get('/rollouts/' + seg(id));
      if (disposed) {
        return;
      }
      fill(problem);
      show();
    } catch (e) {
      if (!disposed) {
        fill(problem, problemBox(e));
      }
    }
    if (!disposed && !(rollout && FINAL.includes(rollout.status))) {
      timer = setTimeout(load, 2000);
    }
  }

  function show() {
    const r = rollout;
    fill(state,
      h('dt', {}, 'Status'), h('dd', {}, h('span', { class: 'status status-' + r.status, 'data-testid': 'rollout-status' }, r.status)),
      h('dt', {}, 'Configuration'), h('dd', {}, h('a', { href: '#/configurations/' + encodeURIComponent(r.configurationId) }, r.configurationId)),
      h('dt', {}, 'Current phase'), h('dd', {}, r.currentPhaseName ? `${r.currentPhase} (${r.currentPhaseName})` : String(r.currentPhase ?? '')),
      r.success ? [h('dt', {}, 'Success'), h('dd', {}, `${r.success.metric} ≥ ${r.success.minPercent}% for ${r.success.soakSeconds} s`)] : null,
      r.failure ? [h('dt', {}, 'Failure'), h('dd', {}, h('code', {}, r.failure.reportedCondition || ''), ` above ${r.failure.maxPercent}% → ${r.onFailure || ''}`)] : null);
    if (may('write')) {
      fill(buttons, ACTIONS.filter(a => a.states.includes(r.status)).map(a =>
        h('button', { type: 'button', class: a.action === 'pause' || a.action === 'resume' ? '' : 'danger',
          'data-testid': 'rollout-' + a.action, onclick: () => act(a) }, a.label)));
    } else {
      fill(buttons);
    }
    fill(phases, (r.phases || []).map((p, i) => h('div', { class: 'phase' + (i === r.currentPhase ? ' current' : ''), 'data-testid': 'phase-' + i },
      h('h3', {}, `Phase ${i}${p.name ? ' · ' + p.name : ''} · ${p.percent}%`, i === r.currentPhase ? h('span', { class: 'badge' }, 'current') : null),
      progress(p.applied || 0, p.targeted || 0, 'Applied'),
      progress(p.succeeded || 0, p.targeted || 0, 'Succeeded'),
      progress(p.failed || 0, p.targeted || 0, 'Failed', { class: 'progress-row failed' }),
      h('p', { class: 'muted' }, `${p.targeted || 0} twins targeted`))));
    fill(decisions, table([
      { title: 'When', cell: d => timeEl(d.time) },
      { title: 'Decision', cell: d => d.decision },
      { title: 'Status after', cell: d => d.status },
      { title: 'Phase', cell: d => d.phase === undefined || d.phase === null ? '' : String(d.phase) },
      { title: 'Reason', cell: d => d.reason },
      { title: 'By', cell: d => (d.byHand ? 'by hand: ' : '') + (d.principal || '') },
    ], (r.decisions || []).slice().reverse().map(d => ({ ...d, __attrs: { 'data-testid': 'decision-row', 'data-decision': d.decision } }))));
  }

  async function act(a) {
    const answer = await confirmDialog(a.label + ' rollout ' + id, a.text, { withReason: true, okLabel: a.label });
    if (!answer.ok) {
      return;
    }
    messages.clear();
    try {
      rollout = (await post('/rollouts/' + seg(id) + '/' + a.action, answer.reason ? { reason: answer.reason } : {})).body;
      show();
      messages.note(`${a.label}: done.`);
      if (timer === null || FINAL.includes(rollout.status)) {
        clearTimeout(timer);
        load();
      }
    } catch (e) {
      messages.show(e);
      if (e instanceof ApiError && e.status === 409) {
        clearTimeout(timer);
        load();
      }
    }
  }

  load();
  return () => {
    disposed = true;
    clearTimeout(timer);
  };
}
