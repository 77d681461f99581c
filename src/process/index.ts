/**
 * Supervised subprocesses: argument arrays (never a shell), explicit environments, own process
 * groups, line-split output, timeouts, aborts and a kill sequence that also reaches descendants
 * that left the group (Nix runs builders in their own session). This module logs nothing.
 */
export { runSupervised, type RunSupervisedOptions, type SupervisedResult } from './supervise.js';
export { killProcessTree, type KillTreeOptions, type KillTreeResult } from './kill.js';
export { LineSplitter, DEFAULT_MAX_LINE_CHARS } from './line-splitter.js';
export { processStartTime, readProcStat, parseProcStat, findDescendants, type ProcStat } from './proc.js';
