import type { AdapterRegistry } from '../adapters/registry.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import type { EventStore } from '../store/event-store.js';
import type { Authenticate } from './route.js';
import type { TokenRegistry } from './tokens/token-registry.js';

/** What every route works with. */
export interface ApiContext {
  readonly store: EventStore;
  readonly blobs: BlobStore;
  /** The data folder: the operator views live in `<data>/views.db`. */
  readonly dataDir: string;
  /** The adapters, to check configuration sent to `PUT /config`. */
  readonly registry: AdapterRegistry;
  readonly tokens: TokenRegistry;
  readonly authenticate: Authenticate;
  /** Check every JSON answer against its route's schema (tests): a mismatch is a 500. */
  readonly checkAnswers: boolean;
}
