/**
 * Argument values from Kubernetes Secrets (`valueFrom.secretKeyRef: {name, key}`), so credentials
 * stay out of git. Read from the environment variable OPSBOX_SECRET_<NAME>_<KEY>: name and key
 * upper-cased, every other character than A-Z and 0-9 written as `_`. Reading the Secret from
 * the cluster is not implemented yet; a missing variable is an error naming the variable to set.
 */

export type SecretEnv = Readonly<Record<string, string | undefined>>;

export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/** `{ secretKeyRef: { name, key } }`, or undefined when valueFrom is something else. */
export function secretKeyRefOf(valueFrom: unknown): SecretKeyRef | undefined {
  if (!valueFrom || typeof valueFrom !== 'object') return undefined;
  const ref = (valueFrom as { secretKeyRef?: unknown }).secretKeyRef;
  if (!ref || typeof ref !== 'object') return undefined;
  const { name, key } = ref as { name?: unknown; key?: unknown };
  return typeof name === 'string' && name !== '' && typeof key === 'string' && key !== '' ? { name, key } : undefined;
}

export function secretEnvName(ref: SecretKeyRef): string {
  const part = (text: string) => text.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return `OPSBOX_SECRET_${part(ref.name)}_${part(ref.key)}`;
}

/** The secret's value, or a message saying which variable to set. */
export function readSecret(ref: SecretKeyRef, env: SecretEnv | undefined): { value: string } | { problem: string } {
  const variable = secretEnvName(ref);
  const value = env?.[variable];
  if (value !== undefined && value !== '') return { value };
  return {
    problem:
      `reads key "${ref.key}" of Secret "${ref.name}" (valueFrom.secretKeyRef), but ${variable} is not set; ` +
      `the operator sets it in the app's environment (reading Secrets from the cluster is not supported yet)`,
  };
}
