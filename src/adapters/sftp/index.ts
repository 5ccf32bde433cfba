import type { AdapterDefinition } from '../adapter.js';
import { RemoteFileReceiver } from '../remote-file/receiver.js';
import { RemoteFileSender } from '../remote-file/sender.js';
import {
  sftpReceiveConfigSchema,
  sftpSendConfigSchema,
  type SftpReceiveConfig,
  type SftpSendConfig,
} from './config.js';
import { SftpConnector } from './connection.js';
import { sftpContextOf } from './context.js';

export { SFTP } from './context.js';
export type { SftpReceiveConfig, SftpSendConfig } from './config.js';
export { sftpReceiveConfigSchema, sftpSendConfigSchema } from './config.js';
export { sha256Fingerprint } from './host-key.js';

export const sftpAdapter: AdapterDefinition<SftpReceiveConfig, SftpSendConfig> = {
  name: 'sftp',
  description:
    'Takes files from an SFTP folder (one receiver at a time, under a lease); writes messages to files there. Host key pinned.',
  receive: {
    config: sftpReceiveConfigSchema,
    // SFTP has no locks: two receivers on one folder would both take a file.
    singleActive: 'always',
    create: (config, location) =>
      new RemoteFileReceiver(config, new SftpConnector(config, location.secrets), location.name, sftpContextOf),
  },
  send: {
    config: sftpSendConfigSchema,
    create: (config, port) => new RemoteFileSender(config, new SftpConnector(config, port.secrets)),
  },
};
