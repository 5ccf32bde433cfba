import type { z } from 'zod';
import type { FieldIssue } from './errors.js';

/** Zod's issues as the API reports them: the dotted path from the request part down, and what is wrong. */
export function fieldIssues(error: z.ZodError, part: string): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: [part, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}
