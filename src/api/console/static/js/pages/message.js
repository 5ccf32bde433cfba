/* global document */
import { explain, get, post, segment } from '../api.js';
import { badge, facts, h, notice, show, table } from '../dom.js';
import { errorText, movingStatuses, time } from '../format.js';

/** Bodies larger than this are not shown inline (they can still be downloaded). */
const SHOW_LIMIT = 512 * 1024;
const REFRESH_MS = 1_500;

/**
 * One message: what it is, where it went, its context properties, its body and every step of its
 * flow; resume and terminate for an operator. While the message is on its way the page refreshes
 * itself, so a resumed message is seen to be sent.
 */
export async function render(main, { arg: id }, context) {
  if (!id) {
    show(main, notice('error', 'No message id in the address.'));
    return;
  }
  const status = h('div', { id: 'action-status', 'aria-live': 'polite' });
  const detailView = h('div', { id: 'message-detail' });
  const bodyView = h('section', { id: 'message-body' }, h('h2', {}, 'Body'), h('p', { class: 'loading' }, 'Loading…'));
  show(main, h('h1', {}, 'Message ', h('span', { class: 'mono', id: 'message-id' }, id)), status, detailView, bodyView);

  let poller;
  const refresh = async () => {
    const detail = await get(`/messages/${segment(id)}`, undefined, { signal: context.signal });
    renderDetail(detailView, detail, { id, status, refresh, acted: () => poller.wake() });
    return detail;
  };
  poller = follow(refresh, context.signal);
  const detail = await refresh();
  poller.check(detail);
  void loadBody(bodyView, id, detail.body ?? {}, context.signal);
}

/**
 * Re-reads the message while its status is one that moves on by itself; `wake` starts again
 * after an operator acted.
 */
function follow(refresh, signal) {
  let timer;
  const schedule = () => {
    clearTimeout(timer);
    if (!signal.aborted) timer = setTimeout(() => void tick(), REFRESH_MS);
  };
  const tick = async () => {
    try {
      check(await refresh());
    } catch {
      // A background refresh stays quiet; the Refresh button shows what is wrong.
    }
  };
  const check = (detail) => {
    if (movingStatuses.has(detail.message.status)) schedule();
  };
  signal.addEventListener('abort', () => clearTimeout(timer));
  return { check, wake: schedule };
}

function renderDetail(view, detail, { id, status, refresh, acted }) {
  const m = detail.message;
  const ports = detail.ports ?? [];
  const properties = detail.context ?? {};
  const timeline = detail.timeline ?? [];
  show(
    view,
    h(
      'section',
      { class: 'card' },
      h('p', {}, 'Status: ', badge(m.status)),
      facts([
        ['Receive location', m.receiveLocation],
        ['Receive port', m.receivePort],
        ['Adapter', m.adapter],
        ['Source', m.sourceKey],
        ['Received', time(m.receivedAt)],
        ['Completed', time(m.completedAt)],
        ['Send attempts', m.attempts === undefined ? undefined : String(m.attempts)],
        ['Last error', errorText(m.lastError)],
        ['Suspended at stage', m.suspendedStage],
        ['Batch', m.batchId],
        ['Replay of', m.replayOf ? h('a', { href: `#/message/${encodeURIComponent(m.replayOf)}` }, m.replayOf) : null],
        ['Replay', m.replayId],
        [
          'Reply to',
          m.requestMessageId
            ? h('a', { href: `#/message/${encodeURIComponent(m.requestMessageId)}` }, m.requestMessageId)
            : null,
        ],
        [
          'Reply',
          m.replyMessageId
            ? h('a', { href: `#/message/${encodeURIComponent(m.replyMessageId)}` }, m.replyMessageId)
            : null,
        ],
      ]),
      actions(id, m, { status, refresh, acted }),
    ),
    h('h2', {}, 'Sends'),
    ports.length === 0
      ? h('p', { class: 'muted' }, 'Routed to no send port.')
      : table(
          ['Port', 'Status', 'Attempts', 'Transport', 'Address', 'Last error', 'Next retry', 'Sent'],
          ports.map((p) => ({
            attrs: { 'data-port': p.port },
            cells: [
              p.port,
              badge(p.status),
              String(p.attempts ?? ''),
              p.transport ?? '',
              p.address ?? '',
              errorText(p.lastError),
              time(p.nextRetryAt),
              time(p.sentAt),
            ],
          })),
          { id: 'sends' },
        ),
    h(
      'div',
      { class: 'columns' },
      h('section', {}, h('h2', {}, 'Promoted properties'), propertyTable(properties.promoted, 'promoted')),
      h('section', {}, h('h2', {}, 'Written properties'), propertyTable(properties.written, 'written')),
    ),
    h('h2', {}, 'Flow'),
    timeline.length === 0
      ? h('p', { class: 'muted' }, 'No steps recorded.')
      : table(
          ['Time', 'Event', 'Port', 'Actor', 'Detail'],
          timeline.map((step) => [
            h('span', { class: 'nowrap' }, time(step.at)),
            step.type,
            step.port ?? '',
            step.actor ?? '',
            step.detail === undefined || step.detail === null
              ? ''
              : h('code', { class: 'value' }, compact(step.detail)),
          ]),
          { id: 'timeline' },
        ),
  );
}

function compact(value) {
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function propertyTable(properties, kind) {
  const entries = Array.isArray(properties)
    ? properties.map((p) => [p.name, p.value])
    : Object.entries(properties ?? {});
  if (entries.length === 0) return h('p', { class: 'muted' }, 'None.');
  return table(
    ['Name', 'Value'],
    entries
      .sort(([a], [b]) => String(a).localeCompare(String(b)))
      .map(([name, value]) => [
        h('span', { class: 'mono value' }, name),
        h('span', { class: 'mono value' }, shownValue(value)),
      ]),
    { id: `properties-${kind}` },
  );
}

/** Strings as they are; numbers, booleans and null marked, so that 42 and "42" look different. */
function shownValue(value) {
  if (typeof value === 'string') return value;
  return `${JSON.stringify(value)} (${value === null ? 'null' : typeof value})`;
}

function actions(id, m, { status, refresh, acted }) {
  const canResume = m.status === 'suspended' || m.status === 'unroutable';
  const canTerminate = m.status !== 'sent' && m.status !== 'terminated';
  const reason = h('input', {
    id: 'terminate-reason',
    name: 'reason',
    placeholder: 'why (recorded with your token’s name)',
  });
  const confirmRow = h(
    'div',
    { class: 'actions', hidden: true, id: 'terminate-confirm' },
    h('label', { for: 'terminate-reason' }, 'Reason'),
    reason,
    h(
      'button',
      {
        type: 'button',
        class: 'danger',
        id: 'terminate-confirm-button',
        on: {
          click: () =>
            void act(
              status,
              refresh,
              () =>
                post(`/messages/${segment(id)}/terminate`, {
                  reason: reason.value.trim() || 'terminated from the console',
                }),
              'Terminated.',
            ).then(acted),
        },
      },
      'Terminate now',
    ),
  );
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          id: 'resume',
          disabled: !canResume,
          on: {
            click: () =>
              void act(
                status,
                refresh,
                () => post(`/messages/${segment(id)}/resume`, {}),
                'Resumed: it is sent again as a new attempt.',
              ).then(acted),
          },
        },
        'Resume',
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'terminate',
          disabled: !canTerminate,
          on: {
            click: () => {
              confirmRow.hidden = false;
              reason.focus();
            },
          },
        },
        'Terminate…',
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'refresh',
          on: { click: () => void refresh().catch((e) => show(status, notice('error', explain(e)))) },
        },
        'Refresh',
      ),
      h('a', { href: `#/replay?ids=${encodeURIComponent(id)}`, id: 'replay-link' }, 'Replay…'),
    ),
    confirmRow,
  );
}

async function act(status, refresh, command, done) {
  show(status, h('p', { class: 'loading' }, 'Working…'));
  try {
    const answer = await command();
    show(status, notice('ok', done, outcomeText(answer)));
  } catch (error) {
    show(status, notice('error', explain(error)));
    return;
  }
  try {
    await refresh();
  } catch (error) {
    show(status, notice('error', explain(error)));
  }
}

function outcomeText(answer) {
  const ports = Array.isArray(answer?.ports) ? answer.ports : [];
  if (ports.length === 0) return '';
  return ` (${ports.map((p) => p ?? 'the whole message').join(', ')})`;
}

/**
 * The body: shown as text when it is text (the start of it when it is large, read from the stream
 * and no further), and downloadable whole on request.
 */
async function loadBody(view, id, info, signal) {
  const heading = h('h2', {}, 'Body');
  const type = info.contentType ?? 'application/octet-stream';
  const download = h(
    'button',
    { type: 'button', id: 'body-download', on: { click: () => void save(id, signal) } },
    'Download',
  );
  const parts =
    Array.isArray(info.parts) && info.parts.length > 0
      ? h(
          'p',
          { class: 'muted' },
          `Parts: ${info.parts.map((p) => `${p.name} (${p.contentType ?? '?'}, ${p.size} bytes)`).join(', ')}`,
        )
      : null;
  const about = h(
    'p',
    { class: 'muted', id: 'body-about' },
    `${type}, ${info.size ?? '?'} bytes${info.storedIn ? `, stored ${info.storedIn}` : ''} `,
    download,
  );
  if (!isText(type)) {
    show(view, heading, about, parts, h('p', { class: 'muted' }, 'Not text: download it to look inside.'));
    return;
  }
  let text;
  let cut;
  try {
    ({ text, cut } = await readStart(id, SHOW_LIMIT, signal));
  } catch (error) {
    if (!signal.aborted) show(view, heading, about, parts, notice('error', explain(error)));
    return;
  }
  show(
    view,
    heading,
    about,
    parts,
    cut ? notice('info', `Showing the first ${SHOW_LIMIT} bytes; download it for the rest.`) : null,
    h('pre', { class: 'body', id: 'body-text' }, text),
  );
}

/** The first `limit` bytes of the body, as text; the rest is not fetched. */
async function readStart(id, limit, signal) {
  const response = await get(`/messages/${segment(id)}/body`, undefined, { raw: true, signal });
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  let cut = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size >= limit) {
      cut = true;
      await reader.cancel();
      break;
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return { text: new TextDecoder('utf-8').decode(bytes.subarray(0, limit)), cut };
}

/** Fetches the whole body (the token goes in a header, so a plain link cannot) and saves it. */
async function save(id, signal) {
  const response = await get(`/messages/${segment(id)}/body`, undefined, { raw: true, signal });
  const url = URL.createObjectURL(await response.blob());
  const link = h('a', { href: url, download: `${id}.body` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function isText(type) {
  return /^text\/|[/+](json|xml)\b|^application\/(x-www-form-urlencoded|javascript|yaml|x-yaml|csv)/i.test(type);
}
