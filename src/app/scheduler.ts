/**
 * Wakes due rollouts. node-cron ticks every second; `kick()` asks for a tick now (after a webhook
 * or a command) without waiting for the next second. Overlapping ticks share one pass.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { RolloutEngine } from './engine.js';

export class RolloutScheduler {
  private task: ScheduledTask | undefined;
  private kicked: NodeJS.Immediate | undefined;

  constructor(private readonly engine: RolloutEngine) {}

  start(): void {
    if (this.task) return;
    this.task = cron.schedule('* * * * * *', () => this.engine.tick(), { noOverlap: true, name: 'opsbox-rollouts' });
    this.kick(); // resume whatever was due while the process was down
  }

  kick(): void {
    if (this.kicked) return;
    this.kicked = setImmediate(() => {
      this.kicked = undefined;
      void this.engine.tick();
    });
  }

  async stop(): Promise<void> {
    if (this.kicked) clearImmediate(this.kicked);
    this.kicked = undefined;
    await this.task?.destroy();
    this.task = undefined;
    await this.engine.idle();
  }
}
