/** The environment the app gets in a benchmark: `npm start` against the fake GitHub and fake Prometheus. */
export const WEBHOOK_SECRET = 'bench-webhook-secret';

/** What the app needs to know of the fake GitHub (a FakeGitHub fits, and so does what another process reports of one). */
export interface GitHubEndpoint {
  app: { id: number };
  appPrivateKey(): string;
  host: string;
}

export function appEnv(github: GitHubEndpoint, prometheusUrl: string, dataDir: string, port: number): Record<string, string> {
  return {
    APP_ID: String(github.app.id),
    PRIVATE_KEY: github.appPrivateKey(),
    WEBHOOK_SECRET,
    GHE_HOST: github.host,
    GHE_PROTOCOL: 'http',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'fatal',
    PROMETHEUS_URL: prometheusUrl,
    OPSBOX_PROMETHEUS_ALLOWLIST: prometheusUrl,
    OPSBOX_DATA_DIR: dataDir,
  };
}
