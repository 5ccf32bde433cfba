import { PermanentAdapterError } from '../errors.js';
import { httpSendConfigSchema, type HttpSendConfig } from './config.js';
import { HTTP_ERROR } from './errors.js';

/**
 * A dynamic send address: the URL itself (`http://partner.example/orders`,
 * `https://…`), POSTed to with the adapter's defaults. Settings beyond the URL (PUT, TLS, auth)
 * need a static port.
 */
export function parseHttpAddress(address: string): HttpSendConfig {
  const parsed = httpSendConfigSchema.safeParse({ url: address });
  if (!parsed.success) {
    throw new PermanentAdapterError(
      HTTP_ERROR.ADDRESS_INVALID,
      `${JSON.stringify(address)}: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
    );
  }
  return parsed.data;
}
