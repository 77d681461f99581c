import { KilnError } from '../errors/index.js';
import type { VersionSyncRecord } from '../persistence/index.js';
import { validateAttrPath, validateGitRef, validateGitUrl, type GitUrlPolicy } from '../git/index.js';

/** What an admin gives to create a version sync (API body, CLI flags). */
export interface VersionSyncInput {
  name: string;
  repository: string;
  ref?: string | undefined;
  file: string;
  entry?: string | undefined;
  attr?: string | undefined;
  verify?: string | undefined;
  systems?: string[] | undefined;
  branch?: string | undefined;
  tagPattern?: string | undefined;
  /** Git token for clone and push; sealed at rest, never shown. */
  token?: string | undefined;
  /** Shared secret of the webhook; sealed at rest, never shown. */
  webhookSecret?: string | undefined;
}

/** A checked definition, without its secrets. */
export type ValidVersionSync = Omit<VersionSyncRecord, 'token' | 'webhookSecret' | 'createdAt'>;

export const DEFAULT_BRANCH_TEMPLATE = 'kiln/bump-{name}-{version}';
export const DEFAULT_TAG_PATTERN = '^v?(\\d.*)$';

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const SYSTEM = /^[a-z0-9_]+-[a-z0-9_]+$/;
const MAX_SYSTEMS = 8;
const MAX_PATH = 1024;
const MAX_VERIFY = 1000;
const MAX_PATTERN = 200;
const MAX_VERSION = 200;
// Git's own rules for a branch name, kept simple: what commitFileOnBranch accepts.
const BRANCH_NAME = /^(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?![/.-])[A-Za-z0-9._/-]{1,200}(?<![/.])(?<!\.lock)$/;

function invalid(field: string, message: string): KilnError {
  return new KilnError('KILN_ERR_VALIDATION', `${field} ${message}`, { field });
}

/** A path inside the repository: relative, `/`-separated, no `..` or `.` segments, a .nix file. */
export function checkRepositoryPath(field: string, path: string): string {
  if (path === '' || path.length > MAX_PATH) throw invalid(field, `must be 1–${MAX_PATH} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f\\]/.test(path))
    throw invalid(field, 'must not contain control characters or backslashes');
  if (path.startsWith('/')) throw invalid(field, 'must be relative to the repository root');
  if (path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw invalid(field, "must not contain empty, '.' or '..' segments");
  }
  if (path.startsWith('-')) throw invalid(field, "must not start with '-'");
  if (!path.endsWith('.nix')) throw invalid(field, 'must name a .nix file');
  return path;
}

/** The version a run bumps to: what `kiln bump` accepts (no quotes, `$` or control characters). */
export function checkVersion(version: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (version === '' || version.length > MAX_VERSION || /[\u0000-\u001f\u007f"\\$]/.test(version)) {
    throw invalid(
      'version',
      `'${version.slice(0, 100)}' is not usable (1–${MAX_VERSION} characters, no quotes, $ or control characters)`,
    );
  }
  return version;
}

/** The branch a run pushes: the template with `{name}` and `{version}` filled in. */
export function renderBranch(template: string | null, name: string, version: string): string {
  const branch = (template ?? DEFAULT_BRANCH_TEMPLATE)
    .replaceAll('{name}', name)
    .replaceAll('{version}', version.replace(/[^A-Za-z0-9._-]+/g, '-'));
  if (!BRANCH_NAME.test(branch)) {
    throw invalid('branch', `'${branch.slice(0, 200)}' is not a usable branch name`);
  }
  return branch;
}

/** A compiled tag pattern; it must have a capture group, the version. */
export function compileTagPattern(pattern: string | null): RegExp {
  const source = pattern ?? DEFAULT_TAG_PATTERN;
  if (source.length > MAX_PATTERN) throw invalid('tagPattern', `must be at most ${MAX_PATTERN} characters`);
  let regex: RegExp;
  try {
    regex = new RegExp(source);
  } catch (error) {
    throw invalid('tagPattern', `is not a regular expression: ${(error as Error).message}`);
  }
  // A pattern with N groups matches the empty alternative with N+1 entries.
  const groups = (new RegExp(`${source}|`).exec('')?.length ?? 1) - 1;
  if (groups < 1) throw invalid('tagPattern', 'needs a capture group for the version, e.g. ^v(\\d.*)$');
  return regex;
}

/** The version a tag names under the pattern's first group, or null when the tag does not match. */
export function versionFromTag(tag: string, pattern: string | null): string | null {
  const version = compileTagPattern(pattern).exec(tag)?.[1];
  return version === undefined || version === '' ? null : version;
}

/** Checks every field of a new sync; the repository against the server's Git policy. */
export function validateVersionSync(input: VersionSyncInput, policy: GitUrlPolicy): ValidVersionSync {
  if (!NAME.test(input.name)) {
    throw invalid(
      'name',
      `'${input.name.slice(0, 100)}' is not a name (lower-case letters, digits and '-', at most 63)`,
    );
  }
  const repository = validateGitUrl(input.repository, policy).url;
  const ref = input.ref === undefined ? null : validateGitRef(input.ref);
  const file = checkRepositoryPath('file', input.file);
  const entry = input.entry === undefined ? null : checkRepositoryPath('entry', input.entry);
  const attr = input.attr === undefined ? null : validateAttrPath(input.attr);
  let verify: string | null = null;
  if (input.verify !== undefined) {
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    const control = /[\u0000-\u001f\u007f]/;
    if (input.verify.trim() === '' || input.verify.length > MAX_VERIFY || control.test(input.verify)) {
      throw invalid('verify', `must be a one-line command of at most ${MAX_VERIFY} characters`);
    }
    verify = input.verify;
  }
  const systems = [...new Set(input.systems ?? [])];
  if (systems.length > MAX_SYSTEMS) throw invalid('systems', `may list at most ${MAX_SYSTEMS} systems`);
  for (const system of systems) {
    if (!SYSTEM.test(system))
      throw invalid('systems', `'${system.slice(0, 50)}' is not a system like x86_64-linux`);
  }
  const branch = input.branch ?? null;
  if (branch !== null) {
    if (!branch.includes('{version}')) throw invalid('branch', 'must contain {version}');
    renderBranch(branch, input.name, '1.0.0');
  }
  const tagPattern = input.tagPattern ?? null;
  if (tagPattern !== null) compileTagPattern(tagPattern);
  for (const [field, secret] of [
    ['token', input.token],
    ['webhookSecret', input.webhookSecret],
  ] as const) {
    if (secret !== undefined && secret.trim() === '') throw invalid(field, 'must not be empty');
  }
  return { name: input.name, repository, ref, file, entry, attr, verify, systems, branch, tagPattern };
}
