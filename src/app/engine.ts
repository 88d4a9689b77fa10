/**
 * Runs rollouts: feeds events to the state machine one at a time per rollout, persists every
 * transition before acting on it, and executes the effects in the outbox.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { VersionConflictError, type RolloutStore, type StoredRollout } from '../state/store.js';
import { mayCreateObjects, transition, type MachineDeps } from '../rollout/machine.js';
import type { Effect, EffectResult, RolloutEvent, RolloutState, Transition } from '../rollout/types.js';

/** Carries out one effect at the edges (GitHub, Prometheus). Must be idempotent. */
export interface EffectExecutor {
  execute(state: RolloutState, effect: Effect): Promise<EffectResult>;
}

/** An effect failure; `retryable` says whether trying again later may help. */
export class EffectError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'EffectError';
  }
}

/**
 * Watches the engine at work (metrics, transition logs). It sees every stored transition and
 * every effect run; it never changes what the engine does, and its errors are ignored.
 */
export interface EngineObserver {
  transition?(before: RolloutState, event: RolloutEvent, after: RolloutState): void;
  effect?(state: RolloutState, effect: Effect, seconds: number, failed: boolean): void;
}

export interface EngineOptions {
  store: RolloutStore;
  machine: MachineDeps;
  executor: EffectExecutor;
  clock?: () => number;
  log?: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /** Upper bound of effects run in one go for one rollout (every loop here is bounded). */
  maxEffectsPerDrain?: number;
  /** Rollouts advanced at once by a tick. */
  tickConcurrency?: number;
  /**
   * How long a status update that is not urgent waits for more changes, counted from the first
   * change it shows (default 2 s): changes this close together go out as one update.
   */
  coalesceMs?: number;
  observer?: EngineObserver;
}

/** Status updates closer together than this are sent as one. */
export const STATUS_COALESCE_MS = 2_000;

/**
 * How often one event is applied again after another writer (a second replica) changed the
 * rollout between our read and our write. Each retry re-reads, so a few are plenty.
 */
export const MAX_CONFLICT_RETRIES = 5;

export class RolloutEngine {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly clock: () => number;
  private readonly maxEffects: number;
  private readonly concurrency: number;
  private readonly coalesceMs: number;
  private ticking: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? Date.now;
    this.maxEffects = options.maxEffectsPerDrain ?? 50;
    this.concurrency = options.tickConcurrency ?? 8;
    this.coalesceMs = options.coalesceMs ?? STATUS_COALESCE_MS;
  }

  get store(): RolloutStore {
    return this.options.store;
  }

  /** Stores a new rollout and starts it. A rollout that already exists is left as it is. */
  async create(state: RolloutState): Promise<boolean> {
    return this.withLock(state.id, async () => {
      if (await this.options.store.get(state.id)) return false;
      try {
        await this.options.store.put(state, 0);
      } catch (error) {
        // Another process stored it first: it is that process's rollout to start.
        if (error instanceof VersionConflictError) return false;
        throw error;
      }
      await this.apply(state.id, { type: 'start' });
      return true;
    });
  }

  /**
   * Applies one event to one rollout, then runs what it decided. `onDecided` sees the stored
   * decision before its effects run (to acknowledge a command before slow commits).
   */
  async dispatch(id: string, event: RolloutEvent, onDecided?: (decision: Transition) => Promise<void>): Promise<Transition | undefined> {
    return this.withLock(id, () => this.apply(id, event, onDecided));
  }

  /** Wakes every rollout that is due. Overlapping calls share one pass. */
  async tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.runTick().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /** Resolves when every rollout's queued work has finished (for shutdown and tests). */
  async idle(): Promise<void> {
    for (let round = 0; round < 100 && (this.locks.size > 0 || this.ticking); round++) {
      await Promise.allSettled([...this.locks.values(), this.ticking]);
    }
  }

  /**
   * Shutdown: no new tick pass starts, and each rollout stops running its outbox after the effect
   * in flight. What is left stays in the stored outbox and the next process runs it.
   */
  async stopAtSafePoint(): Promise<void> {
    this.stopping = true;
    await this.idle();
  }

  private async runTick(): Promise<void> {
    if (this.stopping) return;
    const due = this.options.store.dueIds(this.clock());
    for (let i = 0; i < due.length; i += this.concurrency) {
      const batch = due.slice(i, i + this.concurrency);
      await Promise.allSettled(
        batch.map((id) =>
          this.dispatch(id, { type: 'tick' }).catch((error) =>
            this.options.log?.error({ err: error, rollout: id }, 'rollout tick failed'),
          ),
        ),
      );
    }
  }

  private async apply(id: string, event: RolloutEvent, onDecided?: (decision: Transition) => Promise<void>): Promise<Transition | undefined> {
    const decided = await this.applyAndStore(id, event);
    if (!decided) return undefined;
    const result = decided.transition;
    this.observe((o) => o.transition?.(decided.before, event, result.state));
    let state = result.state;
    let version = decided.version;
    if (onDecided) {
      await onDecided(result).catch((error) => this.options.log?.warn({ err: error, rollout: id }, 'acknowledging an event failed'));
    }
    // Run the outbox: each result goes back through the machine and is stored before the next effect.
    for (let n = 0; n < this.maxEffects && !this.stopping; n++) {
      const now = this.clock();
      const effect = state.outbox.find((e) => (e.notBefore ?? 0) <= now && !this.held(e, now));
      if (!effect) break;
      if (!effect.started && mayCreateObjects(state, effect)) {
        // Stored before it runs: a run after a crash knows to look for what this one made.
        const marked = await this.applyAndStore(id, { type: 'effectStarted', effectId: effect.id }, { state, version });
        if (!marked) break;
        state = marked.transition.state;
        version = marked.version;
      }
      const outcome = await this.execute(state, effect);
      const next = await this.applyAndStore(id, outcome, { state, version });
      if (!next) break;
      const before = next.before;
      this.observe((o) => o.transition?.(before, outcome, next.transition.state));
      state = next.transition.state;
      version = next.version;
    }
    return { ...result, state };
  }

  /**
   * A status update that is not urgent waits until changes stop coming in; the rollout stays due
   * meanwhile (its outbox is not empty), so the next tick sends it.
   */
  private held(effect: Effect, now: number): boolean {
    return effect.type === 'publishStatus' && !effect.urgent && effect.at !== undefined && now < effect.at + this.coalesceMs;
  }

  /**
   * Applies an event to the stored rollout and stores the result. When another writer stored a
   * newer version meanwhile, the event is applied again to what is stored now (an effect's result
   * too: the machine ignores one whose effect has left the outbox), so nothing is dropped.
   */
  private async applyAndStore(
    id: string,
    event: RolloutEvent,
    known?: StoredRollout,
  ): Promise<{ before: RolloutState; transition: Transition; version: number } | undefined> {
    let current = known ?? (await this.options.store.get(id));
    for (let attempt = 1; current; attempt++) {
      const result = transition(current.state, event, this.clock(), this.options.machine);
      try {
        return { before: current.state, transition: result, version: await this.options.store.put(result.state, current.version) };
      } catch (error) {
        if (!(error instanceof VersionConflictError) || attempt > MAX_CONFLICT_RETRIES) throw error;
        this.options.log?.info({ rollout: id, event: event.type, attempt }, 'rollout changed underneath; applying the event again to the stored state');
        current = await this.options.store.get(id);
      }
    }
    return undefined;
  }

  private async execute(state: RolloutState, effect: Effect): Promise<RolloutEvent> {
    const started = performance.now();
    try {
      const result = await this.options.executor.execute(state, effect);
      this.observe((o) => o.effect?.(state, effect, (performance.now() - started) / 1000, false));
      return { type: 'effectDone', effectId: effect.id, result };
    } catch (error) {
      this.observe((o) => o.effect?.(state, effect, (performance.now() - started) / 1000, true));
      const retryable = error instanceof EffectError ? error.retryable : true;
      const message = error instanceof Error ? error.message : String(error);
      this.options.log?.warn({ rollout: state.id, effect: effect.type, retryable, err: message }, 'effect failed');
      return { type: 'effectFailed', effectId: effect.id, error: message, retryable };
    }
  }

  private observe(call: (observer: EngineObserver) => void): void {
    if (!this.options.observer) return;
    try {
      call(this.options.observer);
    } catch (error) {
      this.options.log?.warn({ err: error }, 'a rollout observer failed');
    }
  }

  /** Events of one rollout run one at a time, in arrival order. */
  private async withLock<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(work);
    this.locks.set(id, current);
    try {
      return await current;
    } finally {
      if (this.locks.get(id) === current) this.locks.delete(id);
    }
  }
}
