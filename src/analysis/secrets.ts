/**
 * Argument values from Kubernetes Secrets (`valueFrom.secretKeyRef: {name, key}`), so credentials
 * stay out of git. Where the app has cluster access and an operator named the namespace to read
 * (OPSBOX_SECRET_NAMESPACE), the Secret is read from the cluster; otherwise, and as a fallback when
 * the cluster has no such key, from the environment variable OPSBOX_SECRET_<NAME>_<KEY>: name and
 * key upper-cased, every other character than A-Z and 0-9 written as `_`. Resolution stays
 * synchronous: the Secrets a catalog names are read beforehand (prefetchClusterSecrets).
 */

export type SecretEnv = Readonly<Record<string, string | undefined>>;

export const SECRET_NAMESPACE_ENV = 'OPSBOX_SECRET_NAMESPACE';

export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/** Reads Secrets of one namespace (the Kubernetes edge implements it). */
export interface ClusterSecrets {
  readonly namespace: string;
  /** The Secret's data, decoded; null when the Secret does not exist. Throws when it cannot be read. */
  read(name: string): Promise<Readonly<Record<string, string>> | null>;
}

/** What was read of each Secret a catalog names: its data, or why it could not be read. */
export interface ClusterSecretValues {
  readonly namespace: string;
  readonly secrets: ReadonlyMap<string, { data: Readonly<Record<string, string>> } | { problem: string }>;
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

/** The names of the Secrets that arguments of `owners` read. */
export function referencedSecretNames(owners: readonly { readonly spec: { readonly args: readonly { readonly valueFrom?: unknown }[] } }[]): string[] {
  const names = new Set<string>();
  for (const owner of owners) {
    for (const arg of owner.spec.args) {
      const ref = secretKeyRefOf(arg.valueFrom);
      if (ref) names.add(ref.name);
    }
  }
  return [...names].sort();
}

/** Reads each named Secret once; a failed read is kept as the problem of every argument that needs it. */
export async function prefetchClusterSecrets(names: readonly string[], cluster: ClusterSecrets): Promise<ClusterSecretValues> {
  const secrets = new Map<string, { data: Readonly<Record<string, string>> } | { problem: string }>();
  await Promise.all(
    names.map(async (name) => {
      try {
        const data = await cluster.read(name);
        secrets.set(name, data ? { data } : { problem: `Secret "${name}" does not exist in namespace ${cluster.namespace}` });
      } catch (error) {
        secrets.set(name, { problem: (error as Error).message });
      }
    }),
  );
  return { namespace: cluster.namespace, secrets };
}

/** The secret's value, or a message saying what to create or set. */
export function readSecret(ref: SecretKeyRef, env: SecretEnv | undefined, cluster?: ClusterSecretValues): { value: string } | { problem: string } {
  let clusterProblem: string | undefined;
  if (cluster) {
    const read = cluster.secrets.get(ref.name) ?? { problem: `Secret "${ref.name}" was not read` };
    if ('data' in read) {
      const value = read.data[ref.key];
      if (value !== undefined) return { value };
      const keys = Object.keys(read.data);
      clusterProblem = `Secret "${ref.name}" in namespace ${cluster.namespace} has no key "${ref.key}" (${keys.length ? `keys: ${keys.sort().join(', ')}` : 'it is empty'})`;
    } else {
      clusterProblem = read.problem;
    }
  }
  const variable = secretEnvName(ref);
  const value = env?.[variable];
  if (value !== undefined && value !== '') return { value };
  if (clusterProblem !== undefined) {
    return {
      problem:
        `reads key "${ref.key}" of Secret "${ref.name}" (valueFrom.secretKeyRef), but ${clusterProblem} and ${variable} is not set; ` +
        `create the Secret with that key in namespace ${cluster!.namespace}, or have the operator set ${variable} in the app's environment`,
    };
  }
  return {
    problem:
      `reads key "${ref.key}" of Secret "${ref.name}" (valueFrom.secretKeyRef), but ${variable} is not set; ` +
      `the operator sets it in the app's environment, or gives the app cluster access and names the namespace to read Secrets from in ${SECRET_NAMESPACE_ENV}`,
  };
}
