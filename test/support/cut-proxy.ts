/**
 * A loopback HTTP proxy between the app process and the fake GitHub that can "cut" one request:
 * run an action (killing the app) either before the request reaches GitHub, or after GitHub has
 * acted on it but before the app hears the answer. That is the moment a crash is most dangerous.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Path without `/api/v3` and without the query string. */
  path: string;
  /** The JSON body, when there is one. */
  body: any;
}

export interface CutRule {
  /**
   * `before`: GitHub never sees the request; `after`: GitHub did it, the answer is lost;
   * `hold`: the request waits for the action, then goes on to GitHub and its answer back to the app.
   */
  when: 'before' | 'after' | 'hold';
  match(request: ProxiedRequest): boolean;
}

interface ArmedCut extends CutRule {
  action: () => Promise<void>;
  done: { resolve: () => void; reject: (error: unknown) => void };
}

export interface CutProxy {
  url: string;
  host: string;
  /** Arms one cut; resolves once the matching request was cut and the action finished. */
  cut(rule: CutRule, action: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export async function startCutProxy(target: string): Promise<CutProxy> {
  const targetUrl = new URL(target);
  const sockets = new Set<Socket>();
  let armed: ArmedCut | undefined;

  /** After a cut nothing more from the killed process may reach GitHub. */
  const dropAllConnections = () => {
    for (const socket of sockets) socket.destroy();
  };

  const forward = (req: IncomingMessage, raw: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const upstream = request(
        {
          host: targetUrl.hostname,
          port: targetUrl.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: targetUrl.host },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
          response.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(raw);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    if (req.socket.destroyed) return; // its process was killed while the body arrived
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      body = undefined;
    }
    // Octokit sends `heads/main` as `heads%2Fmain`; GitHub (and the fake) decode it.
    const pathname = safeDecode(url.pathname).replace(/^\/api\/v3(?=\/)/, '');
    const proxied: ProxiedRequest = { method: (req.method ?? 'GET').toUpperCase(), path: pathname, body };
    const cut = armed?.match(proxied) ? armed : undefined;
    if (cut) armed = undefined;

    if (cut?.when === 'before') return fire(cut);
    if (cut?.when === 'hold') {
      await cut.action().then(cut.done.resolve, cut.done.reject);
      const held = await forward(req, raw);
      if (!req.socket.destroyed) res.writeHead(held.status, held.headers).end(held.body);
      return;
    }
    const answer = await forward(req, raw);
    if (cut) return fire(cut);
    if (req.socket.destroyed) return;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  };

  const fire = async (cut: ArmedCut) => {
    try {
      await cut.action();
      dropAllConnections();
      cut.done.resolve();
    } catch (error) {
      cut.done.reject(error);
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    cut(rule, action) {
      if (armed) throw new Error('a cut is already armed');
      return new Promise<void>((resolve, reject) => {
        armed = { ...rule, action, done: { resolve, reject } };
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        armed = undefined;
        dropAllConnections();
        server.close(() => resolve());
      }),
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
