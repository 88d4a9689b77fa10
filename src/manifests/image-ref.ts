/**
 * Image references `[registry[:port]/]repository[:tag][@digest]` and versions (`v2`,
 * `sha256:…`, `v2@sha256:…`). The repository keeps the exact spelling of the file, so rewriting a
 * reference changes only its tag and digest.
 */

export interface ImageVersion {
  readonly tag?: string;
  readonly digest?: string;
}

export interface ImageReference extends ImageVersion {
  /** As written, e.g. `localhost:5000/acme/api`. */
  readonly repository: string;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]{32,}$/;

export function parseImageReference(reference: string): ImageReference {
  const at = reference.indexOf('@');
  const named = at < 0 ? reference : reference.slice(0, at);
  const digest = at < 0 ? undefined : reference.slice(at + 1);
  // a colon after the last slash separates the tag; one before it belongs to a registry port
  const colon = named.lastIndexOf(':');
  const hasTag = colon > named.lastIndexOf('/');
  return {
    repository: hasTag ? named.slice(0, colon) : named,
    tag: hasTag ? named.slice(colon + 1) : undefined,
    digest,
  };
}

export function formatImageReference(repository: string, version: ImageVersion): string {
  return repository + (version.tag ? `:${version.tag}` : '') + (version.digest ? `@${version.digest}` : '');
}

/** `v2`, `sha256:…` or `v2@sha256:…`; undefined when neither tag nor digest is set. */
export function formatVersion(version: ImageVersion): string | undefined {
  if (version.tag && version.digest) return `${version.tag}@${version.digest}`;
  return version.tag ?? version.digest;
}

/** Parses a version as users and bump PRs write it; undefined when it is not one. */
export function parseVersion(text: string): ImageVersion | undefined {
  const at = text.indexOf('@');
  if (at >= 0) {
    const tag = text.slice(0, at);
    const digest = text.slice(at + 1);
    return TAG.test(tag) && DIGEST.test(digest) ? { tag, digest } : undefined;
  }
  if (DIGEST.test(text)) return { digest: text };
  if (TAG.test(text)) return { tag: text };
  return undefined;
}

/**
 * The canonical name of a repository, so `nginx`, `library/nginx` and `docker.io/library/nginx`
 * compare equal (Docker Hub's implicit registry and namespace).
 */
export function canonicalRepository(repository: string): string {
  const parts = repository.split('/');
  const first = parts[0];
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasRegistry ? first : 'docker.io';
  let path = hasRegistry ? parts.slice(1) : parts;
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  if (registry === 'docker.io' && path.length === 1) path = ['library', ...path];
  return `${registry}/${path.join('/')}`.toLowerCase();
}

export function sameRepository(a: string, b: string): boolean {
  return canonicalRepository(a) === canonicalRepository(b);
}
