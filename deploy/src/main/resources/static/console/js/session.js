// Who is signed in: GET /me, kept for the page's life; the header shows it and pages ask may().

import { get } from './api.js';

let me = null;

export async function loadMe() {
  me = await get('/me');
  me.may = me.may || {};
  return me;
}

export function current() {
  return me;
}

export function forget() {
  me = null;
}

/** Whether the signed-in caller may read, write, audit or admin. */
export function may(what) {
  return Boolean(me && me.may && me.may[what]);
}
