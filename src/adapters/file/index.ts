import type { AdapterDefinition } from '../adapter.js';
import { parseFileAddress } from './address.js';
import {
  fileReceiveConfigSchema,
  fileSendConfigSchema,
  type FileReceiveConfig,
  type FileSendConfig,
} from './config.js';
import { FileReceiveHandler } from './input.js';
import { FileSendHandler } from './output.js';

export { FILE } from './context.js';
export { FILE_ERROR } from './errors.js';
export { FILE_NAME_MACROS, expandFileName, sanitizeMacroValue } from './macros.js';
export type { FileReceiveConfig, FileSendConfig } from './config.js';
export { fileReceiveConfigSchema, fileSendConfigSchema } from './config.js';

export const fileAdapter: AdapterDefinition<FileReceiveConfig, FileSendConfig> = {
  name: 'file',
  description: 'Takes files from a folder; writes messages to files, with file-name macros.',
  receive: {
    config: fileReceiveConfigSchema,
    // The rename to a work name lets any number of receivers share one folder.
    singleActive: 'never',
    create: (config) => new FileReceiveHandler(config),
  },
  send: {
    config: fileSendConfigSchema,
    create: (config) => new FileSendHandler(config),
    address: { schemes: ['file'], parse: parseFileAddress },
  },
};
