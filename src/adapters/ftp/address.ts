import { parseRemoteAddress } from '../remote-file/address.js';
import { ftpSendConfigSchema, type FtpSendConfig } from './config.js';

/** `ftp://user@host/out/%MessageID%.xml` or `ftps://…` (explicit TLS), for dynamic send ports. */
export function parseFtpAddress(address: string): FtpSendConfig {
  return parseRemoteAddress(address, ftpSendConfigSchema, (scheme) =>
    scheme === 'ftps' ? { secure: 'explicit' } : {},
  );
}
