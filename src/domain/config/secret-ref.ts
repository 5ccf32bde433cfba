import { z } from 'zod';

/** Secret names live in stream names (`secret-{name}`), so they keep the artifact alphabet. */
export const secretName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only, starting with a letter or digit');

/**
 * How a binding names a credential: `{ "secret": "ftp-partner-password" }`. Only the name is
 * ever written to bindings, configuration events, logs or API answers; adapters reveal the value
 * when they connect.
 */
export const secretRefSchema = z.object({ secret: secretName }).strict();
export type SecretRef = z.infer<typeof secretRefSchema>;

/**
 * A credential field: a reference to a secret. A plain string is refused with the reason, so a
 * password typed into a bindings file never reaches the store.
 */
export const credentialSchema = z.custom<SecretRef>((value) => secretRefSchema.safeParse(value).success, {
  message: 'credentials are secret references: { "secret": "<name>" }, set with `signalbox secrets set <name>`',
});
