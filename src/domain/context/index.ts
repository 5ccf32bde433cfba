export * from './context.js';
export * from './errors.js';
export * from './names.js';
export * from './namespace.js';
export * from './system.js';
export { validateContext } from './validate.js';
