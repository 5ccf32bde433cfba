import { z } from 'zod';

const TOKEN = /^[^\s.*>]+$/;

/** Why `subject` cannot be published to, or `undefined`: dot-separated tokens, no wildcards, no blanks. */
export function publishSubjectProblem(subject: string): string | undefined {
  if (subject.length === 0) return 'is empty';
  if (!subject.split('.').every((token) => TOKEN.test(token))) {
    return 'must be dot-separated tokens without blanks or wildcards (`*`, `>`)';
  }
  return undefined;
}

/** The same for a subscription: `*` may stand for one token, `>` for the rest (last token only). */
export function subscribeSubjectProblem(subject: string): string | undefined {
  const tokens = subject.split('.');
  const ok = tokens.every((t, i) => TOKEN.test(t) || t === '*' || (t === '>' && i === tokens.length - 1));
  return subject.length > 0 && ok ? undefined : 'must be dot-separated tokens; `*` and a last `>` are the wildcards';
}

export const publishSubject = z.string().superRefine((s, ctx) => {
  const problem = publishSubjectProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: `subject ${JSON.stringify(s)} ${problem}` });
});

export const subscribeSubject = z.string().superRefine((s, ctx) => {
  const problem = subscribeSubjectProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: `subject ${JSON.stringify(s)} ${problem}` });
});

/** Stream, consumer and queue group names: what JetStream accepts in an API subject. */
export const natsName = z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only');
