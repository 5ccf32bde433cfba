import type { AdapterDefinition } from '../adapter.js';
import { RemoteFileReceiver } from '../remote-file/receiver.js';
import { RemoteFileSender } from '../remote-file/sender.js';
import { parseFtpAddress } from './address.js';
import { ftpReceiveConfigSchema, ftpSendConfigSchema, type FtpReceiveConfig, type FtpSendConfig } from './config.js';
import { FtpConnector } from './connection.js';
import { ftpContextOf } from './context.js';

export { FTP } from './context.js';
export type { FtpReceiveConfig, FtpSendConfig } from './config.js';
export { ftpReceiveConfigSchema, ftpSendConfigSchema } from './config.js';

export const ftpAdapter: AdapterDefinition<FtpReceiveConfig, FtpSendConfig> = {
  name: 'ftp',
  description:
    'Takes files from an FTP or FTPS folder (one receiver at a time, under a lease); writes messages to files there.',
  receive: {
    config: ftpReceiveConfigSchema,
    // FTP has no locks: two receivers on one folder would both take a file.
    singleActive: 'always',
    create: (config, location) =>
      new RemoteFileReceiver(config, new FtpConnector(config, location.secrets), location.name, ftpContextOf),
  },
  send: {
    config: ftpSendConfigSchema,
    create: (config, port) => new RemoteFileSender(config, new FtpConnector(config, port.secrets)),
    address: { schemes: ['ftp', 'ftps'], parse: parseFtpAddress },
  },
};
