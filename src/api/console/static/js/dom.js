/* global document */
// Everything the console shows is built as DOM nodes with text content: message bodies, context
// properties and error texts come from outside and must never be parsed as HTML.

/**
 * An element. `attrs` sets attributes (a `false`/`null`/`undefined` value is left out), `on` adds
 * listeners; each child is a node, a string or number (a text node), or an array of those.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'on') {
      for (const [event, listener] of Object.entries(value)) el.addEventListener(event, listener);
    } else if (name === 'href') {
      el.setAttribute('href', safeHref(String(value)));
    } else if (name.startsWith('on')) {
      throw new Error(`inline handler "${name}": use the "on" attribute`);
    } else if (name === 'value' && 'value' in el) {
      el.value = String(value);
    } else if (name === 'checked' || name === 'disabled' || name === 'selected') {
      el[name] = Boolean(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (typeof child === 'object' && 'nodeType' in child) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

/** Links stay inside the console (`#/…`) or are relative; no `javascript:` or other schemes. */
function safeHref(href) {
  if (href.startsWith('#') || href.startsWith('./') || href.startsWith('../') || href.startsWith('/')) return href;
  if (href.startsWith('blob:')) return href;
  return '#';
}

/** Replaces an element's content. */
export function show(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A value from outside as text: strings as they are, everything else as JSON. */
export function asText(value) {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2) ?? String(value);
}

/** A table with a header row; `rows` are arrays of cells (nodes or text), or `{ cells, attrs }`. */
export function table(headers, rows, attrs = {}) {
  return h(
    'table',
    attrs,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((title) => h('th', { scope: 'col' }, title)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((row) => {
        const cells = Array.isArray(row) ? row : row.cells;
        return h(
          'tr',
          Array.isArray(row) ? {} : row.attrs,
          cells.map((cell) => h('td', {}, cell)),
        );
      }),
    ),
  );
}

/** A coloured status word (the word itself carries the meaning; the colour only helps). */
export function badge(status) {
  const word = String(status ?? 'unknown');
  return h('span', { class: `badge badge-${word.replace(/[^a-z-]/g, '')}`, 'data-status': word }, word);
}

/** A notice above the page: `error` ones are announced to screen readers at once. */
export function notice(kind, ...text) {
  return h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...text);
}

/** A definition list of label/value pairs; pairs whose value is null or undefined are left out. */
export function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs
      .filter(([, value]) => value !== undefined && value !== null && value !== '')
      .map(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]),
  );
}

/**
 * A table of objects whose shape is only partly known: the `columns` named first, then any other
 * field the items carry but those in `omit`. `format(name, value, item)` may turn a cell into a node; `rowAttrs(item)`
 * gives a row its attributes.
 */
export function objectTable(
  items,
  { columns = [], omit = [], labels = {}, format = (_name, value) => asText(value), rowAttrs, attrs = {} } = {},
) {
  const names = [...columns];
  for (const item of items) {
    for (const name of Object.keys(item ?? {})) if (!names.includes(name) && !omit.includes(name)) names.push(name);
  }
  return table(
    names.map((name) => labels[name] ?? words(name)),
    items.map((item) => ({
      attrs: rowAttrs?.(item) ?? {},
      cells: names.map((name) =>
        item?.[name] === undefined || item?.[name] === null ? '' : format(name, item[name], item),
      ),
    })),
    attrs,
  );
}

/** `lastRenewal` → `last renewal`: a field name as a column title. */
function words(name) {
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
