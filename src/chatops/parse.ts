/**
 * Reads a command from a comment. Only the first non-blank line counts, and only when it is
 * plain text: a line in a code block (fenced or indented) or a quote is never a command, so
 * people can show a command without running it.
 */
import { COMMAND_NAMES, type ChatCommandName } from './commands.js';
import { closestWord } from '../util/closest-word.js';

export type ParsedComment =
  /** No command: ordinary discussion. */
  | { kind: 'none' }
  | { kind: 'command'; name: ChatCommandName; full: boolean; service?: string; line: string }
  /** `/promte`: looks like a command, is not one. */
  | { kind: 'unknown'; word: string; suggestion?: ChatCommandName; line: string }
  /** A known command with arguments it does not take. */
  | { kind: 'invalid'; name: ChatCommandName; problem: string; line: string };

const NONE: ParsedComment = { kind: 'none' };
/** A command word right after the slash, then nothing or whitespace. */
const COMMAND_LINE = /^\/([A-Za-z][A-Za-z0-9_-]*)(?:\s+(.*))?$/;
const SERVICE_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const FULL_FLAGS = new Set(['--full', 'full']);
/** Comments longer than this are not scanned further (a command is on the first line anyway). */
const MAX_SCANNED = 10_000;

export function parseComment(body: string | null | undefined): ParsedComment {
  const line = firstLine(body ?? '');
  if (line === undefined) return NONE;
  // Markdown: four spaces or a tab start an indented code block; `>` a quote; ``` or ~~~ a fence.
  if (/^(?: {4}|\t| {0,3}\t)/.test(line)) return NONE;
  const text = line.trim().replace(/[.!]+$/, '');
  const match = COMMAND_LINE.exec(text);
  if (!match) return NONE;
  const word = match[1].toLowerCase();
  const name = COMMAND_NAMES.find((n) => n === word);
  if (!name) return { kind: 'unknown', word, suggestion: closestWord(word, COMMAND_NAMES), line: text };
  const args = (match[2] ?? '').split(/\s+/).filter((a) => a !== '');
  return withArguments(name, args, text);
}

function firstLine(body: string): string | undefined {
  const lines = body.slice(0, MAX_SCANNED).split(/\r\n|\r|\n/);
  return lines.find((l) => l.trim() !== '');
}

/** `/promote` takes `--full` (or `full`); every command may name the service when a PR has several. */
function withArguments(name: ChatCommandName, args: string[], line: string): ParsedComment {
  let full = false;
  let service: string | undefined;
  for (const arg of args) {
    const lower = arg.toLowerCase();
    if (name === 'promote' && FULL_FLAGS.has(lower) && !full) {
      full = true;
    } else if (lower.startsWith('-')) {
      const takes = name === 'promote' ? '`--full`' : 'no options';
      return { kind: 'invalid', name, problem: `unknown option \`${arg}\`: /${name} takes ${takes}`, line };
    } else if (service === undefined && SERVICE_NAME.test(arg) && name !== 'help' && name !== 'preflight') {
      service = arg;
    } else {
      return { kind: 'invalid', name, problem: `unexpected \`${arg}\`: ${usageOf(name)}`, line };
    }
  }
  const parsed: ParsedComment = { kind: 'command', name, full, line };
  if (service !== undefined) parsed.service = service;
  return parsed;
}

function usageOf(name: ChatCommandName): string {
  if (name === 'help' || name === 'preflight') return `write \`/${name}\` alone`;
  if (name === 'promote') return 'write `/promote`, `/promote --full`, or add the service name when the pull request bumped several';
  return `write \`/${name}\`, or \`/${name} <service>\` when the pull request bumped several`;
}
