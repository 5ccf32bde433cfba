import { adapterContract } from './adapter.contract.js';
import { pureFtpdHarness } from './pure-ftpd-harness.js';

/** Explicit FTPS (AUTH TLS, PROT P) on a real pure-ftpd with a test certificate made by openssl at start. */
adapterContract('ftps explicit TLS (pure-ftpd)', pureFtpdHarness({ label: 'ftps-contract', tls: true }));
