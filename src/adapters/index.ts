import { fileAdapter } from './file/index.js';
import { ftpAdapter } from './ftp/index.js';
import { httpAdapter } from './http/index.js';
import { mqAdapter } from './mq/index.js';
import { natsAdapter } from './nats/index.js';
import { pop3Adapter } from './pop3/index.js';
import { AdapterRegistry } from './registry.js';
import { sftpAdapter } from './sftp/index.js';
import { smtpAdapter } from './smtp/index.js';

/** A registry with every adapter this build has; each adapter issue adds its own line. */
export function defaultRegistry(): AdapterRegistry {
  return new AdapterRegistry()
    .register(fileAdapter)
    .register(natsAdapter)
    .register(httpAdapter)
    .register(ftpAdapter)
    .register(sftpAdapter)
    .register(pop3Adapter)
    .register(smtpAdapter)
    .register(mqAdapter);
}
