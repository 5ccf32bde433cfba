import { explain, get, post, segment } from '../api.js';
import { h, notice, show, table } from '../dom.js';
import { time } from '../format.js';

const LIST_SIZE = 200;
const WHOLE = '(whole message)';

/** The outcome of the last action, shown again after the page reloaded its groups. */
let carried;

/**
 * The suspended queue as Group Hub shows it: grouped by error or by port, a group opened into its
 * messages, and resume or terminate for one message, the ones ticked, or a whole port's group.
 */
export async function render(main, { params }, { signal, navigate }) {
  const by = params.get('by') === 'port' ? 'port' : 'error';
  const key = params.has('key') ? params.get('key') : undefined;
  const status = h('div', { id: 'bulk-status', 'aria-live': 'polite' }, carried);
  carried = undefined;
  const groupsView = h('section', { id: 'suspended-groups' }, h('p', { class: 'loading' }, 'Loading…'));
  const listView = h('section', { id: 'suspended-list' });
  const tab = (value, title) =>
    h('a', { href: `#/suspended?by=${value}`, class: by === value ? 'active' : null, id: `by-${value}` }, title);
  show(
    main,
    h('h1', {}, 'Suspended messages'),
    h('div', { class: 'tabs' }, tab('error', 'By error'), tab('port', 'By port')),
    status,
    groupsView,
    listView,
  );
  const reload = (outcome) => {
    carried = outcome;
    navigate(`#/suspended?${new URLSearchParams({ by, ...(key === undefined ? {} : { key }) })}`);
  };

  const answer = await get('/suspended', { by }, { signal });
  const groups = answer.groups;
  if (groups.length === 0) {
    show(groupsView, notice('ok', 'Nothing is suspended.'));
    return;
  }
  show(
    groupsView,
    table(
      [by === 'port' ? 'Port' : 'Error', 'Messages', 'Oldest', 'Newest', 'Some of them', ''],
      groups.map((group) => {
        const groupKey = group.key;
        const label = groupKey === null || groupKey === undefined ? WHOLE : String(groupKey);
        const sample = group.sample ?? [];
        return {
          attrs: { 'data-group': label, class: key === keyParam(groupKey) ? 'selected' : null },
          cells: [
            h('span', { class: 'mono' }, label),
            String(group.count ?? ''),
            time(group.oldestAt),
            time(group.newestAt),
            sample
              .slice(0, 5)
              .map((id) => [h('a', { href: `#/message/${encodeURIComponent(id)}`, class: 'mono' }, id), ' ']),
            h(
              'a',
              { href: `#/suspended?${new URLSearchParams({ by, key: keyParam(groupKey) })}`, class: 'open-group' },
              'Open',
            ),
          ],
        };
      }),
      { id: 'groups' },
    ),
  );
  if (key !== undefined) await renderGroup(listView, { by, key, status, reload, signal });
}

/** The address form of a group key: the empty string stands for messages suspended as a whole. */
function keyParam(groupKey) {
  return groupKey === null || groupKey === undefined ? '' : String(groupKey);
}

async function renderGroup(view, { by, key, status, reload, signal }) {
  const filter =
    by === 'port'
      ? { port: key === '' ? undefined : key, wholeMessage: key === '' ? 'true' : undefined }
      : { error: key };
  const page = await get('/suspended/list', { ...filter, limit: LIST_SIZE }, { signal });
  const items = page?.items ?? [];
  const reason = h('input', { id: 'bulk-reason', placeholder: 'reason for terminating', name: 'reason' });
  const boxes = [];
  const rows = items.map((item) => {
    const id = item.messageId;
    const box = h('input', { type: 'checkbox', 'aria-label': `select ${id}`, class: 'pick' });
    boxes.push({ box, item });
    return {
      attrs: { 'data-message-id': id },
      cells: [
        box,
        h('a', { href: `#/message/${encodeURIComponent(id)}`, class: 'mono' }, id),
        item.port ?? WHOLE,
        item.stage ?? '',
        h('span', { class: 'mono' }, item.error?.code ?? ''),
        item.error?.message ?? '',
        time(item.suspendedAt),
        h(
          'span',
          { class: 'row-actions' },
          h(
            'button',
            {
              type: 'button',
              class: 'resume-one',
              on: { click: () => void runEach('resume', [item], status, reload) },
            },
            'Resume',
          ),
          ' ',
          h(
            'button',
            {
              type: 'button',
              class: 'terminate-one',
              on: { click: () => void runEach('terminate', [item], status, reload, reason.value) },
            },
            'Terminate',
          ),
        ),
      ],
    };
  });
  const picked = () => boxes.filter((b) => b.box.checked).map((b) => b.item);
  const all = h('input', {
    type: 'checkbox',
    id: 'pick-all',
    on: { change: (event) => boxes.forEach((b) => (b.box.checked = event.currentTarget.checked)) },
  });
  const label = key === '' ? WHOLE : key;
  show(
    view,
    h(
      'h2',
      {},
      `${by === 'port' ? 'Port' : 'Error'} ${label}: ${items.length}${page?.nextCursor ? '+' : ''} suspended`,
    ),
    h(
      'div',
      { class: 'actions' },
      h('label', {}, all, ' all'),
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          id: 'resume-selected',
          on: { click: () => void runEach('resume', picked(), status, reload) },
        },
        'Resume selected',
      ),
      h('label', { for: 'bulk-reason' }, 'Reason'),
      reason,
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          id: 'terminate-selected',
          on: { click: () => void runEach('terminate', picked(), status, reload, reason.value) },
        },
        'Terminate selected',
      ),
    ),
    by === 'port' && key !== '' ? bulkByQuery(key, reload, reason) : null,
    items.length === 0
      ? notice('info', 'None left in this group.')
      : table(['', 'Message', 'Port', 'Stage', 'Error', 'Reason', 'Suspended', ''], rows, { id: 'suspended-items' }),
  );
}

/** Resume or terminate the given suspended sends one by one; reports how many worked. */
async function runEach(action, items, status, reload, reason) {
  if (items.length === 0) {
    show(status, notice('info', 'Tick the messages first.'));
    return;
  }
  show(status, h('p', { class: 'loading' }, `${action === 'resume' ? 'Resuming' : 'Terminating'} ${items.length}…`));
  const failures = [];
  for (const item of items) {
    const id = item.messageId;
    const body = {
      ...(item.port ? { port: item.port } : {}),
      ...(action === 'terminate' ? { reason: reason?.trim() || 'terminated from the console' } : {}),
    };
    try {
      await post(`/messages/${segment(id)}/${action}`, body);
    } catch (error) {
      failures.push(`${id}: ${explain(error)}`);
    }
  }
  const done = items.length - failures.length;
  const verb = action === 'resume' ? 'Resumed' : 'Terminated';
  reload(
    failures.length === 0
      ? notice('ok', `${verb} ${done}.`)
      : notice('error', `${verb} ${done} of ${items.length}.\n${failures.join('\n')}`),
  );
}

/**
 * Every suspended message of a port, by query (not only the ones listed): a dry run says how
 * many first, and the operator confirms.
 */
function bulkByQuery(port, reload, reason) {
  const preview = h('div', { id: 'bulk-preview' });
  const ask = (action) => async () => {
    const query = { port, portStatus: 'suspended' };
    const why = action === 'terminate' ? { reason: reason.value.trim() || 'terminated from the console' } : {};
    try {
      const dry = await post(`/messages/${action}`, { query, dryRun: true, ...why });
      const count = countOf(dry);
      show(
        preview,
        notice(
          'info',
          `${action === 'resume' ? 'Resume' : 'Terminate'} would act on ${count} message(s) of port ${port}.`,
        ),
        h(
          'button',
          {
            type: 'button',
            class: action === 'resume' ? 'primary' : 'danger',
            id: `bulk-${action}-confirm`,
            on: {
              click: async () => {
                try {
                  const done = await post(`/messages/${action}`, { query, dryRun: false, ...why });
                  reload(outcomeNotice(action, done));
                } catch (error) {
                  show(preview, notice('error', explain(error)));
                }
              },
            },
          },
          `Yes, ${action} ${count}`,
        ),
      );
    } catch (error) {
      show(preview, notice('error', explain(error)));
    }
  };
  return h(
    'div',
    { class: 'card' },
    h('p', {}, `Every suspended message of port ${port}, including those not listed:`),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', id: 'bulk-resume', on: { click: () => void ask('resume')() } }, 'Resume all…'),
      h(
        'button',
        { type: 'button', id: 'bulk-terminate', on: { click: () => void ask('terminate')() } },
        'Terminate all…',
      ),
    ),
    preview,
  );
}

/** How many a bulk answer selected (dry run) or acted on. */
function countOf(answer) {
  return answer.dryRun ? answer.matched : answer.done;
}

function outcomeNotice(action, answer) {
  const verb = action === 'resume' ? 'Resumed' : 'Terminated';
  const skipped = Array.isArray(answer?.skipped) ? answer.skipped : [];
  if (skipped.length === 0) return notice('ok', `${verb} ${countOf(answer)} message(s).`);
  return notice(
    'error',
    `${verb} ${countOf(answer)} of ${answer.matched}; skipped:\n${skipped.map((s) => `${s.messageId}: ${s.reason} (${s.code})`).join('\n')}`,
  );
}
