import { get, segment } from '../api.js';
import { asText, badge, h, notice, objectTable, show } from '../dom.js';
import { time } from '../format.js';

const timeFields = new Set([
  'since',
  'lastRenewal',
  'releasedAt',
  'at',
  'startedAt',
  'stoppedAt',
  'lastSeenAt',
  'seenAt',
  'updatedAt',
]);

function cell(name, value) {
  if (timeFields.has(name)) return time(value);
  if (name === 'released') return value ? 'released' : 'held';
  if (name === 'leases' && Array.isArray(value)) return value.join(', ');
  // A lost instance (killed or hung) is what an operator comes here to find.
  if (name === 'state') return badge(value);
  return asText(value);
}

/**
 * Who holds what: every lease with its holder and term, the host instances, and one resource's
 * history, where a takeover (a failover) stands out.
 */
export async function render(main, { params }, { signal }) {
  const resource = params.get('resource') ?? undefined;
  const [leases, hosts] = await Promise.all([
    get('/leases', undefined, { signal }),
    get('/hosts', undefined, { signal }),
  ]);
  const leaseList = leases.items;
  const hostList = hosts.items;
  const history = h('section', { id: 'lease-history' });
  show(
    main,
    h('h1', {}, 'Leases, hosts and failover'),
    h('h2', {}, 'Leases'),
    leaseList.length === 0
      ? notice('info', 'No lease has been taken yet.')
      : objectTable(leaseList, {
          columns: ['resource', 'holder', 'term', 'released', 'since', 'lastRenewal', 'ttlMs'],
          labels: { released: 'state', ttlMs: 'ttl (ms)' },
          format: (name, value) =>
            name === 'resource'
              ? h('a', { href: `#/leases?${new URLSearchParams({ resource: value })}`, class: 'mono' }, value)
              : cell(name, value),
          attrs: { id: 'leases' },
        }),
    h('h2', {}, 'Hosts'),
    hostList.length === 0
      ? notice('info', 'No host instance has started yet.')
      : objectTable(hostList, {
          columns: [
            'host',
            'instance',
            'state',
            'startedAt',
            'lastSeenAt',
            'stoppedAt',
            'stopReason',
            'leases',
            'hostname',
            'pid',
            'version',
          ],
          labels: { lastSeenAt: 'last seen' },
          format: cell,
          attrs: { id: 'hosts' },
        }),
    history,
  );
  if (resource !== undefined) await renderHistory(history, resource, signal);
}

async function renderHistory(view, resource, signal) {
  const answer = await get(`/leases/${segment(resource)}/history`, undefined, { signal });
  const changes = answer.items;
  show(
    view,
    h('h2', {}, 'History of ', h('span', { class: 'mono' }, resource)),
    changes.length === 0
      ? notice('info', 'Nothing recorded.')
      : objectTable(changes, {
          columns: ['at', 'event', 'holder', 'previousHolder', 'term', 'reason'],
          omit: ['resource', 'position'],
          format: cell,
          // A takeover is a failover: its row stands out at a glance.
          rowAttrs: (change) => (change.event === 'taken-over' ? { class: 'failover', title: 'failover' } : {}),
          attrs: { id: 'lease-changes' },
        }),
  );
}
