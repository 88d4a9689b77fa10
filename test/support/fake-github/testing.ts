/** What the fake's own tests share: the repository they create and how they look at a refusal. */

export const owner = 'acme';
export const repo = 'manifests';
export const fullName = `${owner}/${repo}`;

/** The status, message and body of a request the fake refused; fails when it was accepted. */
export async function rejection(promise: Promise<unknown>): Promise<{ status: number; message: string; data: any }> {
  try {
    await promise;
  } catch (error) {
    const failure = error as { status: number; message: string; response?: { data: unknown } };
    return { status: failure.status, message: failure.message, data: failure.response?.data };
  }
  throw new Error('expected the request to fail');
}
