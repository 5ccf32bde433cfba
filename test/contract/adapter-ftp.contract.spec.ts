import { adapterContract } from './adapter.contract.js';
import { pureFtpdHarness } from './pure-ftpd-harness.js';

/** Plain FTP on a real pure-ftpd; FTPS runs the same suite in adapter-ftps. */
adapterContract('ftp (pure-ftpd)', pureFtpdHarness({ label: 'ftp-contract' }));
