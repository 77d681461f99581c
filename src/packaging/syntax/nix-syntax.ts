/**
 * The byte-preserving Nix parser and the finders `kiln bump` edits with. This folder is internal to
 * the packaging context (no index.ts here: that would make it a context of its own).
 */
export { parseNix } from './parser.js';
export { printNix } from './print.js';
export { renderNixString, stringValue } from './strings.js';
export { applyEdits, type TextEdit } from './edit.js';
export { findAttributes, type AttributeSite, type StringLiteral } from './attributes.js';
export {
  findFetchers,
  findHashAttributes,
  findVersion,
  isNixSystem,
  type FetcherCall,
  type HashSite,
  type VersionSite,
} from './finders.js';
export type * from './tree.js';
