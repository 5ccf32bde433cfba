import { explain, post } from '../api.js';
import { h, notice, show, table } from '../dom.js';
import { stamp } from '../format.js';
import { knownNames, queryFields, queryForm } from '../query-form.js';

/**
 * Re-sends recorded messages chosen by a query. A dry run comes first and lists every copy that
 * would be sent; only then can the same replay be run for real. A replay id makes a rerun send
 * nothing twice.
 */
export async function render(main, { params }, { signal }) {
  const values = Object.fromEntries(queryFields.map((name) => [name, params.get(name) ?? undefined]));
  const fields = queryForm('replay', values);
  const replayId = h('input', {
    id: 'replay-id',
    name: 'replayId',
    required: true,
    value: params.get('replayId') ?? stamp('replay'),
    spellcheck: 'false',
  });
  const ids = h(
    'textarea',
    { id: 'replay-ids', name: 'messageIds', rows: 3, spellcheck: 'false', placeholder: 'one message id a line' },
    (params.get('ids') ?? '').split(',').filter(Boolean).join('\n'),
  );
  const toPort = h(
    'select',
    { id: 'replay-to-port', name: 'toPort' },
    h('option', { value: '' }, 'each original port'),
  );
  void knownNames().then(({ ports }) => toPort.append(...ports.map((name) => h('option', { value: name }, name))));
  const result = h('section', { id: 'replay-result', 'aria-live': 'polite' });

  const request = (dryRun) => {
    const query = fields.read();
    const messageIds = ids.value.split(/\s+/).filter(Boolean);
    return {
      replayId: replayId.value.trim(),
      ...(Object.keys(query).length > 0 ? { query } : {}),
      ...(messageIds.length > 0 ? { messageIds } : {}),
      ...(toPort.value ? { toPort: toPort.value } : {}),
      dryRun,
    };
  };
  // The real run sends exactly what the dry run showed, even if the form was edited since.
  const run = async (body) => {
    const dryRun = body.dryRun;
    if (!body.query && !body.messageIds) {
      show(result, notice('error', 'Give message ids or at least one criterion: replaying everything is never meant.'));
      return;
    }
    show(result, h('p', { class: 'loading' }, dryRun ? 'Working out what would be sent…' : 'Replaying…'));
    let answer;
    try {
      answer = await post('/replays', body, { signal });
    } catch (error) {
      if (!signal.aborted) show(result, notice('error', explain(error)));
      return;
    }
    renderResult(result, answer, body, dryRun, () => void run({ ...body, dryRun: false }));
  };

  const form = h(
    'form',
    {
      id: 'replay-form',
      class: 'card',
      on: {
        submit: (event) => {
          event.preventDefault();
          void run(request(true));
        },
      },
    },
    h('h2', {}, 'Which messages'),
    h('div', { class: 'field' }, h('label', { for: 'replay-ids' }, 'Message ids'), ids),
    h('p', { class: 'muted' }, 'and/or every original message matching:'),
    fields.element,
    h('h2', {}, 'How'),
    h(
      'div',
      { class: 'form-row' },
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'replay-id' }, 'Replay id'),
        replayId,
        h('small', {}, 'the same id again sends nothing new'),
      ),
      h('div', { class: 'field' }, h('label', { for: 'replay-to-port' }, 'Send to'), toPort),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'replay-dry-run' }, 'Dry run: show what would be sent'),
    ),
  );
  show(main, h('h1', {}, 'Replay'), form, result);
}

function renderResult(view, answer, body, dryRun, confirm) {
  const items = Array.isArray(answer?.items) ? answer.items : [];
  const wouldSend = items.filter((i) => i.status === 'would-replay');
  const rows = items.map((item) => {
    const copy = item.copy;
    return {
      attrs: { 'data-status': item.status },
      cells: [
        h('a', { href: `#/message/${encodeURIComponent(item.original)}`, class: 'mono' }, item.original ?? ''),
        item.port ?? '',
        copy && !dryRun
          ? h('a', { href: `#/message/${encodeURIComponent(copy)}`, class: 'mono' }, copy)
          : h('span', { class: 'mono' }, copy ?? ''),
        item.status ?? '',
      ],
    };
  });
  const summary = dryRun
    ? notice(
        'info',
        `Dry run of “${body.replayId}”: ${plural(wouldSend.length, 'copy', 'copies')} would be sent; nothing was written.`,
      )
    : notice(
        'ok',
        `Replay “${body.replayId}”: ${plural(items.filter((i) => i.status === 'replayed').length, 'copy', 'copies')} made, each sent like any routed message; ${countOther(items)} not (see the outcome).`,
      );
  show(
    view,
    summary,
    dryRun && wouldSend.length > 0
      ? h(
          'div',
          { class: 'actions' },
          h(
            'button',
            { type: 'button', class: 'danger', id: 'replay-confirm', on: { click: confirm } },
            `Replay now: send ${plural(wouldSend.length, 'copy', 'copies')}`,
          ),
        )
      : null,
    items.length === 0
      ? notice('info', 'No message matches.')
      : table(['Original', 'Port', 'Copy', 'Outcome'], rows, { id: 'replay-items' }),
  );
}

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

function countOther(items) {
  return items.filter((i) => i.status !== 'replayed').length;
}
