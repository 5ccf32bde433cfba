import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on a module next to the caller (`name` without extension). Under the
 * TypeScript loader (tests, `tsx`) the caller is a `.ts` file and so is the module; a worker does
 * not inherit the loader, so a small bootstrap registers it first. From the build both are plain
 * `.js` and the worker starts directly.
 */
export function startThread(
  callerUrl: string,
  name: string,
  workerData: unknown,
  options: Omit<WorkerOptions, 'eval' | 'workerData'> = {},
): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), { ...options, workerData });
  const script = new URL(`./${name}.ts`, callerUrl).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(bootstrap, { ...options, eval: true, workerData });
}
