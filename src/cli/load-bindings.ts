import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseBindings, type Bindings } from '../domain/config/index.js';
import { SchemaViolation } from '../domain/errors.js';

/** Reads a bindings file (YAML or JSON); an invalid one is refused with every bad field's path. */
export function loadBindings(file: string): Bindings {
  let document: unknown;
  try {
    document = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SchemaViolation(file, [
      { path: '', message: `cannot read as YAML or JSON: ${(error as Error).message}` },
    ]);
  }
  return parseBindings(document, file);
}
