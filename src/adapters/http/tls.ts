import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import { PermanentAdapterError } from '../errors.js';
import type { SecretResolver } from '../secrets.js';
import type { HttpSendConfig } from './config.js';
import { HTTP_ERROR } from './errors.js';

/**
 * Idle pooled connections are dropped before a peer would close them (Node's server does at
 * 5 s), so a send does not pick a connection that is being closed under it.
 */
const IDLE_MS = 4_000;

/**
 * The connection pool of a send port: keep-alive, and for https:// the port's TLS settings, with
 * the client certificate and key revealed from their secrets when the pool is made (the port's
 * first send). A missing CA file or secret fails the send as a configuration error.
 */
export async function makeAgent(config: HttpSendConfig, secrets: SecretResolver): Promise<HttpAgent> {
  const common = { keepAlive: true, timeout: IDLE_MS };
  if (new URL(config.url).protocol !== 'https:') return new HttpAgent(common);
  const tls = config.tls;
  const options: AgentOptions = { ...common, rejectUnauthorized: tls?.rejectUnauthorized ?? true };
  if (tls?.servername) options.servername = tls.servername;
  const ca: string[] = [];
  if (tls?.ca) ca.push(tls.ca);
  if (tls?.caFile) {
    try {
      ca.push(await readFile(tls.caFile, 'utf8'));
    } catch (error) {
      throw new PermanentAdapterError(HTTP_ERROR.TLS_FAILED, `tls.caFile cannot be read: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  if (ca.length > 0) options.ca = ca;
  if (tls?.cert && tls.key) {
    options.cert = await secrets.reveal(tls.cert);
    options.key = await secrets.reveal(tls.key);
    if (tls.passphrase) options.passphrase = await secrets.reveal(tls.passphrase);
  }
  return new HttpsAgent(options);
}
