/**
 * The app's webhook as GitHub runs it: every delivery is recorded with its outcome (the status code
 * the app answered, or that it could not be reached), and a recorded delivery can be sent again
 * (`POST /app/hook/deliveries/:id/attempts`) with the same GUID and `redelivery: true`.
 * GitHub never redelivers by itself, so neither does the fake.
 */
import { createHmac, randomUUID } from 'node:crypto';

export interface HookDelivery {
  id: number;
  guid: string;
  deliveredAt: Date;
  redelivery: boolean;
  /** Seconds the attempt took. */
  duration: number;
  /** `OK`, `Invalid HTTP Response: 503`, `failed to connect to host`. */
  status: string;
  /** 0 when the app could not be reached. */
  statusCode: number;
  event: string;
  action: string | null;
  installationId: number | null;
  repositoryId: number | null;
  payload: unknown;
}

/** How long GitHub waits for the app to answer. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** GitHub redelivers deliveries of the last three days only. */
export const REDELIVERY_WINDOW_MS = 3 * 24 * 3600 * 1000;

export class WebhookLog {
  /** Newest last. */
  readonly deliveries: HookDelivery[] = [];
  target: { url: string; secret: string } | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly newId: () => number,
    private readonly clock: () => Date,
  ) {}

  /** Sends an event to the configured webhook URL and records the attempt. */
  async deliver(event: string, payload: unknown, options: { guid?: string; redelivery?: boolean } = {}): Promise<HookDelivery> {
    const task = this.attempt(event, payload, options.guid ?? randomUUID(), options.redelivery ?? false);
    this.inFlight.add(task);
    try {
      return await task;
    } finally {
      this.inFlight.delete(task);
    }
  }

  /** Sends a recorded delivery again (what the attempts endpoint starts without waiting). */
  redeliver(delivery: HookDelivery): void {
    void this.deliver(delivery.event, delivery.payload, { guid: delivery.guid, redelivery: true });
  }

  /** Waits (bounded) for deliveries still being sent. */
  async settled(): Promise<void> {
    for (let round = 0; round < 20 && this.inFlight.size > 0; round++) await Promise.allSettled([...this.inFlight]);
  }

  private async attempt(event: string, payload: unknown, guid: string, redelivery: boolean): Promise<HookDelivery> {
    const body = JSON.stringify(payload);
    const started = Date.now();
    let statusCode = 0;
    let status = 'failed to connect to host';
    if (this.target) {
      try {
        const response = await fetch(this.target.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'GitHub-Hookshot/fake',
            'x-github-event': event,
            'x-github-delivery': guid,
            'x-github-hook-installation-target-type': 'integration',
            'x-hub-signature-256': `sha256=${createHmac('sha256', this.target.secret).update(body).digest('hex')}`,
          },
          body,
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        await response.text();
        statusCode = response.status;
        status = response.ok ? 'OK' : `Invalid HTTP Response: ${response.status}`;
      } catch (error) {
        status = (error as Error).name === 'TimeoutError' ? 'timed out' : 'failed to connect to host';
      }
    }
    const fields = payload as { action?: string; installation?: { id?: number }; repository?: { id?: number } };
    const delivery: HookDelivery = {
      id: this.newId(),
      guid,
      deliveredAt: this.clock(),
      redelivery,
      duration: (Date.now() - started) / 1000,
      status,
      statusCode,
      event,
      action: fields.action ?? null,
      installationId: fields.installation?.id ?? null,
      repositoryId: fields.repository?.id ?? null,
      payload,
    };
    this.deliveries.push(delivery);
    return delivery;
  }
}

/** A delivery as `GET /app/hook/deliveries` lists it. */
export function deliveryShape(delivery: HookDelivery): Record<string, unknown> {
  return {
    id: delivery.id,
    guid: delivery.guid,
    delivered_at: delivery.deliveredAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    redelivery: delivery.redelivery,
    duration: delivery.duration,
    status: delivery.status,
    status_code: delivery.statusCode,
    event: delivery.event,
    action: delivery.action,
    installation_id: delivery.installationId,
    repository_id: delivery.repositoryId,
    throttled_at: null,
  };
}
