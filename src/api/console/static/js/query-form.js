import { get } from './api.js';
import { h } from './dom.js';
import { inputOfUtc, messageStatuses, utcInput } from './format.js';

/** The criteria every message query of the API shares, by their API names. */
export const queryFields = ['status', 'location', 'port', 'portStatus', 'from', 'to', 'property'];

const portStatuses = ['pending', 'sending', 'retrying', 'sent', 'suspended', 'terminated'];

let namesCache;

/** Port and receive location names for the fields' suggestions; none when they cannot be read. */
export function knownNames() {
  namesCache ??= Promise.all([get('/ports').catch(() => undefined), get('/config').catch(() => undefined)]).then(
    ([ports, config]) => {
      const portList = ports?.items ?? [];
      const bindings = config?.bindings ?? {};
      return {
        ports: portList.map((p) => p.port).filter(Boolean),
        locations: (Array.isArray(bindings.receiveLocations) ? bindings.receiveLocations : [])
          .map((l) => l?.name)
          .filter(Boolean),
      };
    },
  );
  return namesCache;
}

/** Forgets the names (after a sign-in with another token). */
export function forgetNames() {
  namesCache = undefined;
}

/**
 * The fields of a message query, filled from `values` (API names, times in ISO). `read()`
 * answers the criteria given, by API name, leaving out empty ones.
 */
export function queryForm(idPrefix, values = {}, { statuses = messageStatuses } = {}) {
  const id = (name) => `${idPrefix}-${name}`;
  const status = h(
    'select',
    { id: id('status'), name: 'status' },
    h('option', { value: '' }, 'any'),
    statuses.map((s) => h('option', { value: s, selected: values.status === s }, s)),
  );
  const location = h('input', {
    id: id('location'),
    name: 'location',
    list: id('locations'),
    value: values.location ?? '',
    autocomplete: 'off',
  });
  const port = h('input', {
    id: id('port'),
    name: 'port',
    list: id('ports'),
    value: values.port ?? '',
    autocomplete: 'off',
  });
  const portStatus = h(
    'select',
    { id: id('portStatus'), name: 'portStatus', title: 'needs a send port' },
    h('option', { value: '' }, 'any'),
    portStatuses.map((s) => h('option', { value: s, selected: values.portStatus === s }, s)),
  );
  const from = h('input', {
    id: id('from'),
    name: 'from',
    type: 'datetime-local',
    step: 1,
    value: inputOfUtc(values.from),
  });
  const to = h('input', { id: id('to'), name: 'to', type: 'datetime-local', step: 1, value: inputOfUtc(values.to) });
  const property = h('input', {
    id: id('property'),
    name: 'property',
    placeholder: 'Name=Value, e.g. BTS.ReceivePortName=orders',
    value: values.property ?? '',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const portList = h('datalist', { id: id('ports') });
  const locationList = h('datalist', { id: id('locations') });
  void knownNames().then(({ ports, locations }) => {
    portList.replaceChildren(...ports.map((name) => h('option', { value: name })));
    locationList.replaceChildren(...locations.map((name) => h('option', { value: name })));
  });
  const field = (label, input, hint) =>
    h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hint ? h('small', {}, hint) : null);
  const element = h(
    'div',
    { class: 'query-fields' },
    field('Status', status),
    field('Receive location', location),
    field('Send port', port),
    field('Send status at that port', portStatus),
    field('Received from (UTC)', from),
    field('Received before (UTC)', to),
    field('Context property', property, 'exact value; 42 and "42" are told apart by the API'),
    portList,
    locationList,
  );
  return {
    element,
    read() {
      const query = {
        status: status.value,
        location: location.value.trim(),
        port: port.value.trim(),
        portStatus: portStatus.value,
        from: utcInput(from.value),
        to: utcInput(to.value),
        property: property.value.trim(),
      };
      return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== ''));
    },
  };
}
