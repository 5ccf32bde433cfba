export * from './bindings.js';
export * from './names.js';
export * from './parse-bindings.js';
export * from './retry.js';
export * from './config-changes.js';
export * from './secret-ref.js';
