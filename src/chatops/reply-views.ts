/** What the replies to commands show; rendered with `templates/command-*.md.hbs`. */

export interface CommandLine {
  usage: string;
  summary: string;
  who: string;
}

export type CommandReplyView =
  /** Someone without write access ran a changing command. */
  | { kind: 'refused'; user: string; command: string; role: string }
  /** The command does not apply now; one reason per rollout it was meant for. */
  | { kind: 'rejected'; user: string; command: string; reasons: { service?: string; reason: string }[] }
  | { kind: 'invalid'; user: string; command: string; problem: string }
  | { kind: 'unknown'; user: string; word: string; suggestion?: string; commands: CommandLine[] }
  /** The pull request has rollouts, but not of the service the command named. */
  | { kind: 'no-service'; user: string; command: string; service: string; services: string[] }
  | { kind: 'status'; user: string; links: { service: string; url: string; phase: string }[] };

export interface HelpView {
  user: string;
  commands: CommandLine[];
  rollouts: {
    service: string;
    from: string;
    to: string;
    phase: string;
    stepNumber: number;
    totalSteps: number;
    now: { command: string; description: string }[];
  }[];
  /** Several services on one pull request: commands may name one. */
  several: boolean;
}
