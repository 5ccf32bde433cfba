import { createRequire } from 'node:module';
import { PermanentAdapterError } from '../errors.js';
import { MQ_CLIENT_MISSING_MESSAGE, MQ_ERROR } from './errors.js';

let loaded: { module: unknown } | { error: PermanentAdapterError } | undefined;

/**
 * Loads the `ibmmq` package on first use only, so an engine without MQ ports never needs IBM's
 * C client. Without the client the package throws a plain object (not an Error) naming the
 * missing library; that becomes one clear error, kept for every later call.
 */
export function loadIbmMq(load: (id: string) => unknown = createRequire(import.meta.url)): unknown {
  loaded ??= (() => {
    try {
      return { module: load('ibmmq') };
    } catch (thrown) {
      const detail =
        thrown && typeof thrown === 'object' && 'message' in thrown ? String(thrown.message) : String(thrown);
      return {
        error: new PermanentAdapterError(MQ_ERROR.CLIENT_MISSING, MQ_CLIENT_MISSING_MESSAGE, { cause: detail }),
      };
    }
  })();
  if ('error' in loaded) throw loaded.error;
  return loaded.module;
}

/** For tests: forget what was loaded. */
export function resetIbmMqForTests(): void {
  loaded = undefined;
}
