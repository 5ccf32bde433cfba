import type { TokenRole } from '../../domain/events/index.js';
import { streams } from '../../domain/streams.js';
import type { EventStore, RecordedEvent } from '../../store/event-store.js';
import { makeEvent } from '../../store/make-event.js';
import { ApiError, conflict, notFound } from '../errors.js';
import { roleAllows } from '../roles.js';
import { newTokenId, newTokenSecret, tokenHash } from './token-secret.js';

/** Who a request comes from: its token, and the actor its events carry. */
export interface Principal {
  readonly tokenId: string;
  readonly name: string;
  readonly role: TokenRole;
  /** `token:<name>` */
  readonly actor: string;
}

/** A token as lists show it: never its secret, never its hash. */
export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  readonly role: TokenRole;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
}

interface TokenRecord extends TokenInfo {
  readonly hash: string;
}

/** How long an answer may rely on the tokens read last, before it reads what other API nodes wrote. */
const FRESH_MS = 1_000;

/**
 * API tokens, as their `token-{id}` streams say: issued with a role, maybe revoked. Kept in
 * memory and brought up to date from the store at most a second old (at once when a token is
 * not known yet), so a token issued or revoked through another API node takes effect within a
 * second, and through this one at once.
 */
export class TokenRegistry {
  private readonly byId = new Map<string, TokenRecord>();
  private readonly byHash = new Map<string, TokenRecord>();
  private position = 0n;
  private readAt = 0;
  private reading: Promise<void> | undefined;

  constructor(private readonly store: EventStore) {}

  /** Reads the token events written since the last read (one read at a time). */
  refresh(): Promise<void> {
    this.reading ??= this.readNew().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async readNew(): Promise<void> {
    const started = Date.now();
    for await (const event of this.store.readAll({
      after: this.position,
      filter: { streamPrefixes: ['token-'], eventTypes: ['TokenIssued', 'TokenRevoked'] },
    })) {
      this.apply(event);
      this.position = event.position;
    }
    this.readAt = started;
  }

  private apply(event: RecordedEvent): void {
    if (event.type === 'TokenIssued') {
      const record: TokenRecord = {
        id: event.data.tokenId,
        name: event.data.name,
        role: event.data.role,
        hash: event.data.tokenHash,
        createdAt: event.recordedAt.toISOString(),
        createdBy: event.metadata.actor,
        revokedAt: null,
        revokedBy: null,
      };
      this.byId.set(record.id, record);
      this.byHash.set(record.hash, record);
    } else if (event.type === 'TokenRevoked') {
      const record = this.byId.get(event.data.tokenId);
      if (!record) return;
      const revoked = { ...record, revokedAt: event.recordedAt.toISOString(), revokedBy: event.metadata.actor };
      this.byId.set(record.id, revoked);
      this.byHash.delete(record.hash);
    }
  }

  /**
   * The caller of a request with this `Authorization` header, when its token is live and its
   * role is at least `role`: 401 without a live token, 403 when the role is too low.
   */
  async authenticate(authorization: string | undefined, role: TokenRole): Promise<Principal> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) {
      throw new ApiError(401, 'UNAUTHENTICATED', 'send a token: Authorization: Bearer <token>');
    }
    const hash = tokenHash(match[1]!);
    if (Date.now() - this.readAt > FRESH_MS) await this.refresh();
    let record = this.byHash.get(hash);
    if (!record) {
      await this.refresh();
      record = this.byHash.get(hash);
    }
    if (!record) throw new ApiError(401, 'INVALID_TOKEN', 'the token is unknown or revoked');
    if (!roleAllows(record.role, role)) {
      throw new ApiError(403, 'FORBIDDEN', `this needs the ${role} role; token "${record.name}" has ${record.role}`);
    }
    return { tokenId: record.id, name: record.name, role: record.role, actor: `token:${record.name}` };
  }

  /**
   * Issues a token: its hash goes into `token-{id}`, its secret only into the answer. A name
   * names one live token (it becomes the actor `token:<name>` of everything the token does).
   */
  async issue(name: string, role: TokenRole, actor: string): Promise<{ info: TokenInfo; token: string }> {
    await this.refresh();
    if ([...this.byHash.values()].some((t) => t.name === name)) {
      throw conflict(
        'TOKEN_NAME_TAKEN',
        `a live token is already named "${name}"; revoke it first or pick another name`,
      );
    }
    const id = newTokenId();
    const token = newTokenSecret();
    await this.store.append(
      streams.token(id),
      [makeEvent('TokenIssued', { tokenId: id, name, role, tokenHash: tokenHash(token) }, { actor })],
      'no_stream',
    );
    await this.refresh();
    const info = this.byId.get(id);
    if (!info) throw new Error(`token ${id} was written but not read back`);
    return { info: publicInfo(info), token };
  }

  async revoke(id: string, actor: string): Promise<TokenInfo> {
    await this.refresh();
    const record = this.byId.get(id);
    if (!record) throw notFound('TOKEN_NOT_FOUND', `no token with id ${id}`);
    if (record.revokedAt !== null) throw conflict('TOKEN_REVOKED', `token ${id} ("${record.name}") is already revoked`);
    // Expecting the issue event as the stream's last one: two revocations cannot both be written.
    await this.store.append(
      streams.token(id),
      [makeEvent('TokenRevoked', { tokenId: id, name: record.name }, { actor })],
      0n,
    );
    await this.refresh();
    return publicInfo(this.byId.get(id)!);
  }

  async list(): Promise<TokenInfo[]> {
    await this.refresh();
    return [...this.byId.values()].map(publicInfo).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
}

function publicInfo(record: TokenRecord): TokenInfo {
  const { hash: _hash, ...info } = record;
  return info;
}
