/**
 * The alerts the app keeps firing (failed rollouts), as a port of the state backend: a file beside
 * the rollouts with one process, a table shared by every replica with PostgreSQL. Whichever
 * replica re-posts an alert, resolves it or sees its revert pull request merged, all of them read
 * and write the same book, so an alert is neither left firing nor dropped with the replica that
 * fired it.
 */
import type { PostableAlert } from '../notify/alert-content.js';
import type { AlertSeverity } from '../notify/alert-decisions.js';

/** One open alert: one per rollout. */
export interface BookedAlert {
  rollout: string;
  owner: string;
  repo: string;
  service: string;
  /** The Alertmanager it goes to. */
  url: string;
  severity: AlertSeverity;
  resendMs: number;
  alert: PostableAlert;
  /** A merge of this pull request resolves the alert. */
  revertPr?: number;
  /** When it was last posted (wall clock, ms); a re-post is due resendMs after. */
  postedAt: number;
}

export interface AlertBook {
  /** Every open alert. */
  list(): Promise<BookedAlert[]>;
  get(rollout: string): Promise<BookedAlert | undefined>;
  /** Writes the alert of its rollout, replacing the one there. */
  put(alert: BookedAlert): Promise<void>;
  /**
   * Replaces the alert of `alert.rollout` only while the one stored was last posted at `postedAt`
   * (compare-and-set); false when another replica re-posted it first or it was resolved meanwhile.
   */
  replaceIfPostedAt(alert: BookedAlert, postedAt: number): Promise<boolean>;
  /** Removes the alert of a rollout; returns it, or undefined when it was not there (resolved already). */
  remove(rollout: string): Promise<BookedAlert | undefined>;
}
