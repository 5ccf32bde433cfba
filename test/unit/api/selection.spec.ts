import { describe, expect, it } from 'vitest';
import { selectionSchema, toMessageFilter } from '../../../src/api/selection.js';
import { listenAddress } from '../../../src/cli/api-command.js';

describe('message selection', () => {
  it('turns criteria into the tracking query’s filter; a property value is read as JSON when it is a JSON scalar', () => {
    const filter = toMessageFilter(
      selectionSchema.parse({
        status: 'suspended',
        location: 'inbox',
        port: 'erp',
        portStatus: 'suspended',
        from: '2026-11-17T03:00:00Z',
        to: '2026-11-18T03:00:00Z',
        property: 'MQMD.Priority=5',
      }),
    );
    expect(filter).toEqual({
      status: 'suspended',
      receiveLocation: 'inbox',
      port: 'erp',
      portStatus: 'suspended',
      receivedFrom: new Date('2026-11-17T03:00:00Z'),
      receivedBefore: new Date('2026-11-18T03:00:00Z'),
      property: { name: 'MQMD.Priority', value: 5 },
    });
    expect(toMessageFilter({ property: 'X.Id="5"' }).property).toEqual({ name: 'X.Id', value: '5' });
    expect(toMessageFilter({ property: 'X.Name=a=b' }).property).toEqual({ name: 'X.Name', value: 'a=b' });
    expect(toMessageFilter({ property: 'X.Obj={"a":1}' }).property).toEqual({ name: 'X.Obj', value: '{"a":1}' });
  });

  it('is strict: a misspelt criterion, a bad status or time, portStatus without port are each refused with a path', () => {
    const result = selectionSchema.safeParse({ stauts: 'sent', status: 'lost', from: 'yesterday', portStatus: 'sent' });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['', 'from', 'status']);
    const needsPort = selectionSchema.safeParse({ portStatus: 'sent' });
    expect(needsPort.error!.issues).toEqual([
      expect.objectContaining({ path: ['portStatus'], message: 'portStatus needs port' }),
    ]);
  });
});

describe('listen address', () => {
  it('reads host:port, IPv6 in brackets, and refuses anything else', () => {
    expect(listenAddress('127.0.0.1:7070')).toEqual({ host: '127.0.0.1', port: 7070 });
    expect(listenAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => listenAddress('7070')).toThrow('host:port');
    expect(() => listenAddress('localhost:70000')).toThrow('host:port');
  });
});
