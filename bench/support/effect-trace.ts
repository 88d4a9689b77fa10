/**
 * Which effect each GitHub request belongs to. The executor is created inside the runtime, so the
 * trace wraps its prototype's `execute`: requests the fake GitHub records while an effect runs are
 * that effect's. Only valid while one rollout acts at a time, which is how the request benchmark
 * drives the app.
 */
import { ForgeEffectExecutor } from '../../src/app/executor.js';
import type { Effect } from '../../src/rollout/types.js';
import type { RecordedRequest } from '../../test/support/fake-github/index.js';

export interface TracedEffect {
  effect: Effect;
  requests: RecordedRequest[];
}

export interface EffectTrace {
  effects: TracedEffect[];
  stop(): void;
}

export function traceEffects(requests: () => RecordedRequest[]): EffectTrace {
  const original = ForgeEffectExecutor.prototype.execute;
  const effects: TracedEffect[] = [];
  ForgeEffectExecutor.prototype.execute = async function (this: ForgeEffectExecutor, state, effect) {
    const before = requests().length;
    try {
      return await original.call(this, state, effect);
    } finally {
      effects.push({ effect: structuredClone(effect), requests: requests().slice(before) });
    }
  };
  return {
    effects,
    stop: () => {
      ForgeEffectExecutor.prototype.execute = original;
    },
  };
}
