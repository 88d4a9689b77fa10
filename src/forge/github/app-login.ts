/**
 * The login the app comments as, `<app-slug>[bot]`. The slug comes from `GET /app` (authenticated
 * as the app), asked once per process and only when needed; a failed lookup is asked again.
 */
export interface AppClient {
  request(route: 'GET /app'): Promise<{ data: unknown }>;
}

export function appBotLogin(appClient: () => Promise<AppClient>): () => Promise<string> {
  let login: Promise<string> | undefined;
  return () => {
    if (!login) {
      const asked = appClient()
        .then((client) => client.request('GET /app'))
        .then(({ data }) => {
          const slug = (data as { slug?: unknown } | null)?.slug;
          if (typeof slug !== 'string' || slug === '') throw new Error('GET /app answered without the app slug');
          return `${slug}[bot]`;
        });
      login = asked;
      asked.catch(() => {
        if (login === asked) login = undefined;
      });
    }
    return login;
  };
}
