import { explain, get } from '../api.js';
import { badge, h, notice, show, table } from '../dom.js';
import { errorText, time } from '../format.js';
import { queryFields, queryForm } from '../query-form.js';

const PAGE_SIZE = 50;

/** Message search: the criteria live in the address, so a search can be bookmarked or shared. */
export async function render(main, { params }, { signal, navigate }) {
  const values = Object.fromEntries(queryFields.map((name) => [name, params.get(name) ?? undefined]));
  const fields = queryForm('search', values);
  const results = h('section', { id: 'search-results', 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      id: 'search-form',
      class: 'card',
      on: {
        submit: (event) => {
          event.preventDefault();
          navigate(`#/search?${new URLSearchParams(fields.read()).toString()}`);
        },
      },
    },
    fields.element,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Search'),
      h('a', { href: '#/search?status=suspended' }, 'suspended'),
      h('a', { href: '#/search?status=retrying' }, 'retrying'),
      h('a', { href: '#/search?status=unroutable' }, 'unroutable'),
    ),
  );
  show(main, h('h1', {}, 'Messages'), form, results);
  const query = fields.read();
  await loadPage(results, query, undefined, signal);
}

async function loadPage(results, query, cursor, signal) {
  let page;
  try {
    page = await get('/messages', { ...query, limit: PAGE_SIZE, cursor }, { signal });
  } catch (error) {
    if (signal.aborted) return;
    show(results, notice('error', explain(error)));
    return;
  }
  const items = page?.items ?? [];
  const rows = items.map((m) => {
    const id = m.messageId;
    return {
      attrs: { 'data-message-id': id },
      cells: [
        h('a', { href: `#/message/${encodeURIComponent(id)}`, class: 'mono' }, id),
        badge(m.status),
        m.receiveLocation,
        h('span', { class: 'nowrap' }, time(m.receivedAt)),
        String(m.attempts ?? ''),
        errorText(m.lastError),
      ],
    };
  });
  const more = page?.nextCursor
    ? h(
        'button',
        {
          type: 'button',
          id: 'next-page',
          on: {
            click: (event) => {
              event.currentTarget.remove();
              const next = h('div');
              results.append(next);
              void loadPage(next, query, page.nextCursor, signal);
            },
          },
        },
        'More',
      )
    : null;
  const replaceable = cursor === undefined;
  const content = [
    items.length === 0 && replaceable ? notice('info', 'No message matches.') : null,
    items.length > 0
      ? table(['Message', 'Status', 'Receive location', 'Received', 'Attempts', 'Last error'], rows, {
          class: 'messages',
        })
      : null,
    more,
  ];
  show(results, ...content);
}
