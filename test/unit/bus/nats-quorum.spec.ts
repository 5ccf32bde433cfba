import { describe, expect, it } from 'vitest';
import { hasQuorum } from '../../../src/bus/nats/nats-work-queue.js';

const peer = (name: string, current: boolean, offline = false) => ({ name, current, offline, active: 0, lag: 0 });

describe('hasQuorum (the NATS work queue health probe)', () => {
  it('a stream on one server is healthy; a group without a leader is not', () => {
    expect(hasQuorum(undefined)).toBe(true);
    expect(hasQuorum({ name: 'c', leader: 'n1' })).toBe(true);
    expect(hasQuorum({ name: 'c', replicas: [peer('n2', true), peer('n3', true)] })).toBe(false);
  });

  it('an R3 leader needs one current peer; cut off from both it has no quorum', () => {
    expect(hasQuorum({ name: 'c', leader: 'n1', replicas: [peer('n2', true), peer('n3', false)] })).toBe(true);
    expect(hasQuorum({ name: 'c', leader: 'n1', replicas: [peer('n2', false), peer('n3', false)] })).toBe(false);
    expect(hasQuorum({ name: 'c', leader: 'n1', replicas: [peer('n2', true, true), peer('n3', false)] })).toBe(false);
  });
});
