/* global document, window */
import { ApiError, explain, get, setToken, signOut, token } from './api.js';
import { h, notice, show } from './dom.js';
import { forgetNames } from './query-form.js';
import * as configPage from './pages/config.js';
import * as leasesPage from './pages/leases.js';
import * as messagePage from './pages/message.js';
import * as replayPage from './pages/replay.js';
import * as searchPage from './pages/search.js';
import * as suspendedPage from './pages/suspended.js';

const pages = [
  { path: 'search', title: 'Messages', page: searchPage },
  { path: 'suspended', title: 'Suspended', page: suspendedPage },
  { path: 'replay', title: 'Replay', page: replayPage },
  { path: 'leases', title: 'Leases & hosts', page: leasesPage },
  { path: 'config', title: 'Configuration', page: configPage },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const account = document.getElementById('account');

let current;

/** `#/message/ID?x=1` → { name: 'message', arg: 'ID', params }. */
function parseHash() {
  const hash = window.location.hash.replace(/^#\/?/, '');
  const [path, search = ''] = hash.split('?', 2);
  const [name = '', ...rest] = path.split('/');
  return {
    name: name || 'search',
    arg: rest.length ? decodeURIComponent(rest.join('/')) : undefined,
    params: new URLSearchParams(search),
  };
}

/** Goes to a console address (`#/…`); the same address again renders the page anew. */
function navigate(hash) {
  if (window.location.hash === hash) void route();
  else window.location.hash = hash;
}

/** How many are suspended, beside the Suspended link: the first thing to see on opening the console. */
const suspendedCount = h('span', { class: 'count', id: 'suspended-count', hidden: true });

async function countSuspended() {
  try {
    const answer = await get('/suspended', { by: 'port' });
    const total = (answer?.groups ?? []).reduce((sum, group) => sum + (group.count ?? 0), 0);
    suspendedCount.hidden = total === 0;
    show(suspendedCount, String(total));
  } catch {
    suspendedCount.hidden = true;
  }
}

function renderNav(active) {
  show(
    nav,
    pages.map(({ path, title }) =>
      h(
        'a',
        {
          href: `#/${path}`,
          class: path === active ? 'active' : null,
          'aria-current': path === active ? 'page' : null,
        },
        title,
        path === 'suspended' ? suspendedCount : null,
      ),
    ),
  );
  show(
    account,
    token()
      ? h('button', { type: 'button', class: 'link', id: 'sign-out', on: { click: () => signOut() } }, 'Sign out')
      : null,
  );
}

async function route() {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  if (!token()) {
    renderNav(undefined);
    renderSignIn();
    return;
  }
  const { name, arg, params } = parseHash();
  const entry =
    name === 'message' ? { path: 'search', page: messagePage, title: 'Message' } : pages.find((p) => p.path === name);
  renderNav(entry?.path);
  if (!entry) {
    show(main, notice('error', `There is no page “${name}”.`));
    return;
  }
  document.title = `${entry.title} · Signalbox`;
  void countSuspended();
  show(main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    await entry.page.render(main, { arg, params }, { signal: controller.signal, navigate });
  } catch (error) {
    if (controller.signal.aborted || error?.name === 'AbortError') return;
    show(main, notice('error', explain(error)));
  }
}

function renderSignIn(problem) {
  document.title = 'Sign in · Signalbox';
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
  });
  const status = h('div', { id: 'sign-in-status' }, problem ? notice('error', problem) : null);
  const form = h(
    'form',
    {
      id: 'sign-in',
      class: 'card narrow',
      on: {
        submit: (event) => {
          event.preventDefault();
          void signIn(input.value.trim(), status);
        },
      },
    },
    h('h1', {}, 'Sign in'),
    h(
      'p',
      {},
      'Paste an API token (made with ',
      h('code', {}, 'signalbox tokens create'),
      '). It is kept in this tab only.',
    ),
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'API token'), input),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    status,
  );
  show(main, form);
  input.focus();
}

async function signIn(value, status) {
  if (!value) return;
  setToken(value);
  show(status, h('p', { class: 'loading' }, 'Checking the token…'));
  try {
    await get('/messages', { limit: 1 });
  } catch (error) {
    // A 401 has signed out already; anything else (403 cannot happen for a viewer route) is shown.
    if (!(error instanceof ApiError && error.status === 401)) signOut();
    renderSignIn(error instanceof ApiError && error.status === 401 ? 'That token is not valid.' : explain(error));
    return;
  }
  forgetNames();
  await route();
}

window.addEventListener('hashchange', () => void route());
window.addEventListener('signalbox:signed-out', () => {
  forgetNames();
  void route();
});
void route();
