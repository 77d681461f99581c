import { checkCommon, rejected } from './rejection.js';

export const MAX_REF_LENGTH = 255;
export const MAX_ATTR_LENGTH = 255;

const FULL_SHA = /^[0-9a-fA-F]{40}$/;
const REF_CHARS = /^[A-Za-z0-9._/-]+$/;
const ATTR_SEGMENT = /^[A-Za-z_][A-Za-z0-9_'-]*$/;

/** A full 40-hex SHA-1 commit id (either case). */
export function isFullSha(ref: string): boolean {
  return FULL_SHA.test(ref);
}

/**
 * A branch, tag, full refname or full SHA, checked against git check-ref-format's rules with a
 * conservative character set on top. Returns the ref (a full SHA in lower case). Throws
 * KILN_ERR_GIT_URL.
 */
export function validateGitRef(ref: string): string {
  const what = 'git ref';
  checkCommon(what, ref, MAX_REF_LENGTH);
  if (isFullSha(ref)) return ref.toLowerCase();
  if (ref.includes('@{')) throw rejected(what, "must not contain '@{' (reflog syntax)");
  if (!REF_CHARS.test(ref)) {
    throw rejected(what, 'may contain only letters, digits and . _ / - (no ~ ^ : ? * [ \\ @ or spaces)');
  }
  if (ref.includes('..')) throw rejected(what, "must not contain '..'");
  if (ref.includes('//')) throw rejected(what, "must not contain '//'");
  if (ref.startsWith('/') || ref.endsWith('/')) throw rejected(what, "must not start or end with '/'");
  if (ref.endsWith('.')) throw rejected(what, "must not end with '.'");
  for (const component of ref.split('/')) {
    if (component.startsWith('.')) throw rejected(what, "has a component that starts with '.'");
    if (component.endsWith('.lock')) throw rejected(what, "has a component that ends with '.lock'");
  }
  return ref;
}

/**
 * A Nix attribute path of dot-separated identifiers: `packages.x86_64-linux.default`, `hello`.
 * Quoted segments are not supported. Throws KILN_ERR_GIT_URL.
 */
export function validateAttrPath(attr: string): string {
  const what = 'attribute path';
  checkCommon(what, attr, MAX_ATTR_LENGTH);
  for (const segment of attr.split('.')) {
    if (segment === '') throw rejected(what, "has an empty segment (leading, trailing or doubled '.')");
    if (!ATTR_SEGMENT.test(segment)) {
      throw rejected(
        what,
        `has the segment ${JSON.stringify(segment)}; each segment starts with a letter or '_' and contains only letters, digits, _ ' -`,
      );
    }
  }
  return attr;
}
