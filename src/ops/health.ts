/**
 * Probes on the app's port. `/healthz`: the process answers, so its event loop turns. `/readyz`:
 * the state store is open and GitHub accepted the app's credentials once, and the process is not
 * shutting down (a Service stops routing to it at once).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class Health {
  storeOpen = false;
  credentialsAccepted = false;
  shuttingDown = false;

  get ready(): boolean {
    return this.storeOpen && this.credentialsAccepted && !this.shuttingDown;
  }

  /** What keeps the process from being ready, for the probe's body and the logs. */
  notReadyBecause(): string[] {
    const reasons: string[] = [];
    if (this.shuttingDown) reasons.push('shutting down');
    if (!this.storeOpen) reasons.push('the state store is not open yet');
    if (!this.credentialsAccepted) reasons.push('GitHub has not accepted the app credentials yet');
    return reasons;
  }

  /** A Probot server handler (`addHandler`): answers the two probes and passes on anything else. */
  handler(): (req: IncomingMessage, res: ServerResponse) => boolean {
    return (req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      if (path === '/healthz') {
        answer(res, 200, { status: 'ok' });
        return true;
      }
      if (path === '/readyz') {
        const reasons = this.notReadyBecause();
        answer(res, reasons.length === 0 ? 200 : 503, reasons.length === 0 ? { status: 'ready' } : { status: 'not ready', reasons });
        return true;
      }
      return false;
    };
  }
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
