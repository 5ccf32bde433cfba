import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as constants from '../../../src/adapters/mq/constants.js';
import { listedReasons, reasonInfo } from '../../../src/adapters/mq/reason-codes.js';

/*
 * The adapter's MQI constants and reason-code names against IBM's own definitions, as the `ibmmq`
 * package ships them (a plain data file that loads without the C client).
 */
const ibm = createRequire(import.meta.url)('ibmmq/lib/mqidefs_linuxIntel.js') as Record<string, number | string>;

describe('MQI constants', () => {
  it('every MQ* value the adapter defines equals IBM’s', () => {
    const checked = Object.entries(constants).filter(([name]) => name in ibm);
    // MQOO_INPUT_ANY is the adapter's own mask of the three input options, not an IBM name.
    expect(checked.length).toBe(Object.keys(constants).length - 1);
    for (const [name, value] of checked) {
      // Format names are blank padded to 8 in cmqc.h and trimmed in the package.
      if (typeof value === 'string') expect(value.trim(), name).toBe(String(ibm[name]).trim());
      else expect(value, name).toBe(ibm[name]);
    }
  });

  it('every reason code in the table carries IBM’s name for that number', () => {
    for (const reason of listedReasons()) {
      const name = reasonInfo(reason).name;
      expect(ibm[name], name).toBe(reason);
    }
  });
});
