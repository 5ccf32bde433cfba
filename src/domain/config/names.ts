import { z } from 'zod';

/**
 * Names of hosts, locations, ports and subscriptions become parts of stream names and file
 * names, so they are kept to a safe alphabet.
 */
export const artifactName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only, starting with a letter or digit');
