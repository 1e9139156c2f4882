// Jobs: the list (newest first) and one job's statistics; operators may cancel an unfinished job.

import { get, post, seg } from '../api.js';
import { h, fill, problemBox, table, timeEl, pageHeader, jsonBlock, progress, confirmDialog, messageArea } from '../dom.js';
import { may } from '../session.js';

const UNFINISHED = ['scheduled', 'queued', 'running'];

export function jobsPage(view, { id }) {
  const list = h('div', { 'data-testid': 'jobs' }, h('p', { class: 'muted' }, 'Loading…'));
  const detail = h('div', { 'data-testid': 'job-detail' });
  let timer = null;
  let disposed = false;
  fill(view, pageHeader('Jobs'), id ? h('section', { class: 'panel' }, detail) : null,
    h('section', { class: 'panel' }, h('h2', {}, 'Recent jobs'), list));

  async function loadList() {
    try {
      const answer = await get('/jobs');
      if (disposed) {
        return;
      }
      fill(list, table([
        { title: 'Job', cell: j => h('a', { href: '#/jobs/' + encodeURIComponent(j.jobId), 'data-testid': 'job-link' }, j.jobId) },
        { title: 'Status', cell: j => h('span', { class: 'status status-' + j.status }, j.status) },
        { title: 'Condition', cell: j => h('code', {}, j.queryCondition) },
        { title: 'Start', cell: j => timeEl(j.startTime) },
        { title: 'Done', cell: j => { const s = j.deviceJobStatistics || {}; return `${(s.succeededCount || 0) + (s.failedCount || 0)} / ${s.deviceCount || 0}`; } },
      ], answer.items || []));
    } catch (e) {
      fill(list, problemBox(e));
    }
  }

  async function loadDetail() {
    try {
      const job = await get('/jobs/' + seg(id));
      if (disposed) {
        return;
      }
      const s = job.deviceJobStatistics || {};
      const messages = messageArea();
      fill(detail, h('h2', {}, 'Job ' + job.jobId),
        h('dl', { class: 'summary' },
          h('dt', {}, 'Status'), h('dd', {}, h('span', { class: 'status status-' + job.status, 'data-testid': 'job-status' }, job.status)),
          h('dt', {}, 'Type'), h('dd', {}, job.type),
          h('dt', {}, 'Condition'), h('dd', {}, h('code', {}, job.queryCondition)),
          h('dt', {}, 'Created'), h('dd', {}, timeEl(job.createdTime)),
          h('dt', {}, 'Start'), h('dd', {}, timeEl(job.startTime)),
          h('dt', {}, 'End'), h('dd', {}, timeEl(job.endTime)),
          job.failureReason ? [h('dt', {}, 'Failure'), h('dd', {}, job.failureReason)] : null,
          job.statusMessage ? [h('dt', {}, 'Message'), h('dd', {}, job.statusMessage)] : null),
        progress((s.succeededCount || 0) + (s.failedCount || 0), s.deviceCount || 0, 'Tried'),
        h('p', { class: 'muted' }, `succeeded ${s.succeededCount || 0} · failed ${s.failedCount || 0} · running ${s.runningCount || 0} · pending ${s.pendingCount || 0}`),
        h('h3', {}, 'Update'), jsonBlock(job.updateTwin),
        may('write') && UNFINISHED.includes(job.status) ? h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'danger', 'data-testid': 'job-cancel', onclick: async () => {
            const answer = await confirmDialog('Cancel job ' + job.jobId, 'Cancel the job? Twins it already updated stay updated.', { okLabel: 'Cancel job' });
            if (!answer.ok) {
              return;
            }
            try {
              await post('/jobs/' + seg(job.jobId) + '/cancel', {});
              loadDetail();
              loadList();
            } catch (e) {
              messages.show(e);
            }
          } }, 'Cancel job')) : null,
        messages.el);
      if (UNFINISHED.includes(job.status)) {
        timer = setTimeout(() => { loadDetail(); loadList(); }, 1500);
      }
    } catch (e) {
      fill(detail, problemBox(e));
    }
  }

  loadList();
  if (id) {
    loadDetail();
  }
  return () => {
    disposed = true;
    clearTimeout(timer);
  };
}
