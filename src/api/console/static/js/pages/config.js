import { get } from '../api.js';
import { asText, h, notice, objectTable, show } from '../dom.js';
import { time } from '../format.js';

const kinds = ['host', 'receive-location', 'send-port', 'subscription', 'correlation-set', 'secret', 'token'];
const timeFields = new Set(['at', 'createdAt', 'definedAt', 'changedAt']);

function cell(field, value) {
  if (timeFields.has(field)) return h('span', { class: 'nowrap' }, time(value));
  if (field === 'enabled') return value ? 'enabled' : 'disabled';
  if (typeof value === 'object')
    return h('details', {}, h('summary', {}, 'show'), h('pre', { class: 'json' }, asText(value)));
  return asText(value);
}

/**
 * Every configuration change with who made it and when (one item's, or all), the items live now
 * with who last changed them, and the live configuration as a bindings document.
 */
export async function render(main, { params }, { signal, navigate }) {
  const kind = params.get('kind') ?? '';
  const name = params.get('name') ?? '';
  const kindField = h(
    'select',
    { id: 'config-kind', name: 'kind' },
    h('option', { value: '' }, 'any'),
    kinds.map((k) => h('option', { value: k, selected: k === kind }, k)),
  );
  const nameField = h('input', { id: 'config-name', name: 'name', value: name, autocomplete: 'off' });
  const form = h(
    'form',
    {
      id: 'config-form',
      class: 'card',
      on: {
        submit: (event) => {
          event.preventDefault();
          const query = Object.entries({ kind: kindField.value, name: nameField.value.trim() }).filter(([, v]) => v);
          navigate(`#/config?${new URLSearchParams(query)}`);
        },
      },
    },
    h(
      'div',
      { class: 'form-row' },
      h('div', { class: 'field' }, h('label', { for: 'config-kind' }, 'Kind'), kindField),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'config-name' }, 'Name'),
        nameField,
        h('small', {}, 'one item: give its kind too'),
      ),
      h('button', { type: 'submit', class: 'primary' }, 'Show changes'),
    ),
  );
  const history = h('section', { id: 'config-history' });
  const [items, live] = await Promise.all([
    get('/config/items', { kind }, { signal }),
    get('/config', undefined, { signal }),
  ]);
  const itemList = items.items;
  show(
    main,
    h('h1', {}, 'Configuration'),
    form,
    h('h2', {}, 'Changes, newest first'),
    history,
    h('h2', {}, 'Live items'),
    itemList.length === 0
      ? notice('info', 'No configuration is recorded.')
      : objectTable(itemList, {
          columns: ['kind', 'name', 'enabled', 'changedAt', 'changedBy', 'definedAt', 'definedBy', 'createdAt'],
          labels: { changedBy: 'changed by', definedBy: 'defined by' },
          format: (field, value, item) =>
            field === 'name'
              ? h('a', { href: `#/config?${new URLSearchParams({ kind: item.kind, name: value })}` }, value)
              : cell(field, value),
          attrs: { id: 'config-items' },
        }),
    h('h2', {}, 'Live configuration'),
    h('p', { class: 'muted' }, 'As a bindings document; secrets appear only as references.'),
    h(
      'details',
      { id: 'config-live' },
      h('summary', {}, 'Show the bindings'),
      h('pre', { class: 'json' }, asText(live.bindings)),
    ),
  );
  await loadHistory(history, { kind, name }, undefined, signal);
}

async function loadHistory(view, query, cursor, signal) {
  const page = await get('/config/history', { ...query, cursor, limit: 100 }, { signal });
  const changes = page.items;
  const more = page?.nextCursor
    ? h(
        'button',
        {
          type: 'button',
          on: {
            click: (event) => {
              event.currentTarget.remove();
              const next = h('div');
              view.append(next);
              void loadHistory(next, query, page.nextCursor, signal);
            },
          },
        },
        'More',
      )
    : null;
  show(
    view,
    changes.length === 0 && cursor === undefined
      ? notice('info', 'No change recorded.')
      : objectTable(changes, {
          columns: ['at', 'actor', 'action', 'target', 'detail'],
          omit: ['position', 'targetKind', 'streamId'],
          labels: { action: 'change' },
          format: cell,
          attrs: { id: cursor === undefined ? 'config-changes' : null },
        }),
    more,
  );
}
