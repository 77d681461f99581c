import { stripAnsi } from './ansi.js';

/**
 * What kiln cares about in `--log-format internal-json` output. Activity ids are strings because
 * Nix builds them as `counter + (pid << 32)`: with pids above 2^21 they exceed 2^53 and would
 * collide as JavaScript numbers.
 */
export type NixEvent =
  | { type: 'build-started'; activityId: string; drvPath: string; machine: string }
  | { type: 'build-stopped'; activityId: string; drvPath: string }
  /** Nix starts fetching `storePath` from the binary cache `substituter` (actSubstitute). */
  | { type: 'substitute-started'; storePath: string; substituter: string }
  | { type: 'log-line'; drvPath: string | null; text: string }
  | { type: 'phase'; drvPath: string | null; phase: string }
  | { type: 'progress'; done: number; expected: number; running: number; failed: number }
  | { type: 'substitution-progress'; done: number; expected: number; running: number; failed: number }
  | { type: 'message'; level: number; text: string }
  | {
      type: 'error';
      /** The bare error (Nix's `raw_msg`), e.g. "builder for '/nix/store/…drv' failed with exit code 3". */
      text: string;
      /** The full message without the "error: " prefix, including source position and code excerpt. */
      detail: string;
      file: string | null;
      line: number | null;
      column: number | null;
    }
  | { type: 'raw'; text: string };

export type NixEventType = NixEvent['type'];

/** Nix's ActivityType values kiln looks at (libutil/logging.hh). */
export const ActivityType = { CopyPaths: 103, Builds: 104, Build: 105, Substitute: 108 } as const;
/** Nix's ResultType values kiln looks at. */
export const ResultType = { BuildLogLine: 101, SetPhase: 104, Progress: 105, PostBuildLogLine: 107 } as const;

const PREFIX = '@nix ';

export interface InternalJsonParser {
  /** Parses one stderr line (without its newline). Never throws. */
  push(stderrLine: string): NixEvent[];
}

interface Activity {
  type: number;
  drvPath: string | null;
}

type Json = Record<string, unknown>;

/** A stateful parser: it remembers activities so log lines and phases name their derivation. */
export function createInternalJsonParser(): InternalJsonParser {
  const activities = new Map<string, Activity>();

  const handleStart = (record: Json, id: string | null): NixEvent[] => {
    if (id === null) return [];
    const type = asInt(record.type) ?? 0;
    const fields = asArray(record.fields);
    if (type === ActivityType.Substitute && typeof fields[0] === 'string') {
      activities.set(id, { type, drvPath: null });
      const substituter = typeof fields[1] === 'string' ? fields[1] : '';
      return [{ type: 'substitute-started', storePath: fields[0], substituter }];
    }
    if (type !== ActivityType.Build) {
      activities.set(id, { type, drvPath: null });
      return [];
    }
    const drvPath = typeof fields[0] === 'string' ? fields[0] : '';
    const machine = typeof fields[1] === 'string' ? fields[1] : '';
    activities.set(id, { type, drvPath });
    return [{ type: 'build-started', activityId: id, drvPath, machine }];
  };

  const handleStop = (id: string | null): NixEvent[] => {
    if (id === null) return [];
    const activity = activities.get(id);
    activities.delete(id);
    if (activity?.type !== ActivityType.Build) return [];
    return [{ type: 'build-stopped', activityId: id, drvPath: activity.drvPath ?? '' }];
  };

  const handleResult = (record: Json, id: string | null): NixEvent[] => {
    const activity = id === null ? undefined : activities.get(id);
    const drvPath = activity?.drvPath ?? null;
    const fields = asArray(record.fields);
    switch (asInt(record.type)) {
      case ResultType.BuildLogLine:
      case ResultType.PostBuildLogLine:
        return [{ type: 'log-line', drvPath, text: asText(fields[0]) }];
      case ResultType.SetPhase:
        return [{ type: 'phase', drvPath, phase: asText(fields[0]) }];
      case ResultType.Progress: {
        const [done, expected, running, failed] = [0, 1, 2, 3].map((i) => asInt(fields[i]) ?? 0) as [
          number,
          number,
          number,
          number,
        ];
        if (activity?.type === ActivityType.Builds)
          return [{ type: 'progress', done, expected, running, failed }];
        if (activity?.type === ActivityType.CopyPaths) {
          return [{ type: 'substitution-progress', done, expected, running, failed }];
        }
        return [];
      }
      default:
        return [];
    }
  };

  const handleMsg = (record: Json): NixEvent[] => {
    const level = asInt(record.level) ?? 3;
    const msg = stripAnsi(asText(record.msg));
    if (level > 0) return [{ type: 'message', level, text: msg }];
    const detail = msg.replace(/^error: /, '');
    const raw = typeof record.raw_msg === 'string' ? stripAnsi(record.raw_msg) : detail;
    return [
      {
        type: 'error',
        text: raw,
        detail,
        file: typeof record.file === 'string' ? record.file : null,
        line: asInt(record.line),
        column: asInt(record.column),
      },
    ];
  };

  return {
    push(stderrLine: string): NixEvent[] {
      const line = stderrLine.endsWith('\r') ? stderrLine.slice(0, -1) : stderrLine;
      if (!line.startsWith(PREFIX)) return [{ type: 'raw', text: stripAnsi(line) }];
      const json = line.slice(PREFIX.length);
      let record: unknown;
      try {
        record = JSON.parse(json);
      } catch {
        return [{ type: 'raw', text: stripAnsi(line) }];
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        return [{ type: 'raw', text: stripAnsi(line) }];
      }
      const rec = record as Json;
      const id = rec.id === undefined ? null : topLevelIntegerText(json, 'id');
      switch (rec.action) {
        case 'start':
          return handleStart(rec, id);
        case 'stop':
          return handleStop(id);
        case 'result':
          return handleResult(rec, id);
        case 'msg':
          return handleMsg(rec);
        case 'setPhase':
          // Only builders emit this form; Nix normally turns it into a result on the build activity.
          return [{ type: 'phase', drvPath: null, phase: asText(rec.phase) }];
        default:
          return [];
      }
    },
  };
}

/**
 * The literal digits of a top-level integer member of a JSON object, read from the source text so
 * that values beyond 2^53 keep every digit. Only called on text JSON.parse accepted.
 */
export function topLevelIntegerText(json: string, key: string): string | null {
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      const start = i + 1;
      for (i = start; i < json.length && json[i] !== '"'; i++) if (json[i] === '\\') i++;
      if (depth !== 1 || json.slice(start, i) !== key) continue;
      const match = /^\s*:\s*(-?\d+)/.exec(json.slice(i + 1, i + 64));
      if (match?.[1] !== undefined) return match[1];
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return null;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function asInt(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : null;
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}
