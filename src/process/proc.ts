import { readFileSync, readdirSync } from 'node:fs';

/** The fields of /proc/PID/stat that process supervision needs. */
export interface ProcStat {
  pid: number;
  /** Field 3: R, S, D, Z (zombie), … */
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /**
   * Field 22, clock ticks since boot when the process started. Kept as the decimal string Linux
   * prints: together with the pid it identifies a process even after the pid is recycled.
   */
  startTime: string;
}

/** Parses one /proc/PID/stat line; the command name may contain spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // After ") " come fields 3 (state), 4 (ppid), 5 (pgrp), 6 (session), … 22 (starttime).
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = rest[0] ?? '';
  const ppid = Number(rest[1]);
  const pgid = Number(rest[2]);
  const sid = Number(rest[3]);
  const startTime = rest[19];
  if (
    !Number.isInteger(pid) ||
    !Number.isInteger(ppid) ||
    !Number.isInteger(pgid) ||
    !Number.isInteger(sid)
  ) {
    return null;
  }
  if (startTime === undefined || !/^\d+$/.test(startTime)) return null;
  return { pid, state, ppid, pgid, sid, startTime };
}

/** Reads /proc/PID/stat, or null when the process is gone (or /proc is unreadable). */
export function readProcStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** The start time (field 22) of a live process, or null. */
export function processStartTime(pid: number): string | null {
  return readProcStat(pid)?.startTime ?? null;
}

/** Every process visible in /proc right now. Processes that vanish mid-scan are skipped. */
export function readProcessTable(): ProcStat[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const table: ProcStat[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat) table.push(stat);
  }
  return table;
}

/**
 * All descendants of the given roots (not the roots themselves), found by following ppid links.
 * This finds builders that Nix moved into their own session with setsid, which a process-group
 * kill would miss.
 */
export function findDescendants(
  roots: readonly number[],
  table: readonly ProcStat[] = readProcessTable(),
): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const stat of table) {
    const list = children.get(stat.ppid);
    if (list) list.push(stat);
    else children.set(stat.ppid, [stat]);
  }
  const seen = new Set<number>(roots);
  const found: ProcStat[] = [];
  const queue = [...roots];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}
