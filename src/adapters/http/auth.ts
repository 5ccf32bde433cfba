import { createHash, timingSafeEqual } from 'node:crypto';
import type { SecretResolver } from '../secrets.js';
import type { HttpAuth } from './config.js';

/** How long a revealed secret is used before it is read again, so a rotated one is picked up. */
const REVEAL_TTL_MS = 30_000;

/** A secret revealed on first use and again once it is older than the ttl; never logged. */
export class CachedSecret {
  private value: { text: string; at: number } | undefined;

  constructor(
    private readonly secrets: SecretResolver,
    private readonly ref: { secret: string },
  ) {}

  async get(): Promise<string> {
    const now = Date.now();
    if (this.value && now - this.value.at < REVEAL_TTL_MS) return this.value.text;
    const text = await this.secrets.reveal(this.ref);
    this.value = { text, at: now };
    return text;
  }
}

/** Compares without telling by its timing how much of a guess was right (hashes have one length). */
function sameText(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Checks a request's `Authorization` header against a location's expected credentials. */
export class CredentialCheck {
  private readonly secret: CachedSecret;

  constructor(
    private readonly auth: HttpAuth,
    secrets: SecretResolver,
  ) {
    this.secret = new CachedSecret(secrets, auth.type === 'basic' ? auth.password : auth.token);
  }

  /** The `WWW-Authenticate` challenge a refusal carries. */
  get challenge(): string {
    return this.auth.type === 'basic' ? 'Basic realm="signalbox", charset="UTF-8"' : 'Bearer realm="signalbox"';
  }

  /** Reveals the expected value now, so a missing secret fails the location at start. */
  async prepare(): Promise<void> {
    await this.secret.get();
  }

  async accepts(header: string | undefined): Promise<boolean> {
    if (!header) return false;
    const expected = await this.secret.get();
    const space = header.indexOf(' ');
    if (space < 0) return false;
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (this.auth.type === 'bearer') return scheme === 'bearer' && sameText(value, expected);
    if (scheme !== 'basic') return false;
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Both compared, always: stopping at a wrong user name would tell which names exist.
    const userOk = sameText(decoded.slice(0, colon), this.auth.username);
    const passwordOk = sameText(decoded.slice(colon + 1), expected);
    return userOk && passwordOk;
  }
}

/** The `Authorization` header a send carries, revealed from its secret. */
export async function authorizationHeader(auth: HttpAuth, secret: CachedSecret): Promise<string> {
  const value = await secret.get();
  if (auth.type === 'bearer') return `Bearer ${value}`;
  return `Basic ${Buffer.from(`${auth.username}:${value}`, 'utf8').toString('base64')}`;
}
