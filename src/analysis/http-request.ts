/**
 * One HTTP request to a metric provider (Prometheus, web). Node's global fetch is used, except for `insecure: true` over
 * https: Node 20's fetch cannot skip certificate verification without the undici package's
 * Agent, so that case goes through node:https with `rejectUnauthorized: false`.
 */
import { request as httpsRequest } from 'node:https';

export interface HttpRequest {
  readonly url: URL;
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Skip TLS certificate verification (https only). */
  readonly insecure: boolean;
  readonly signal: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly contentType: string;
  readonly body: string;
}

export async function sendHttpRequest(request: HttpRequest): Promise<HttpResponse> {
  if (request.insecure && request.url.protocol === 'https:') return sendWithoutCertificateCheck(request);
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: request.signal,
    redirect: 'manual',
  });
  return {
    status: response.status,
    statusText: response.statusText,
    contentType: response.headers.get('content-type') ?? '',
    body: await response.text(),
  };
}

function sendWithoutCertificateCheck(request: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(
      request.url,
      { method: request.method, headers: request.headers, rejectUnauthorized: false, signal: request.signal },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            statusText: incoming.statusMessage ?? '',
            contentType: String(incoming.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
