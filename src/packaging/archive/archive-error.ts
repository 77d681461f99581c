import { KilnError } from '../../errors/index.js';

/** A corrupt, truncated, unsafe or unsupported archive. */
export function archiveError(message: string, details?: Record<string, unknown>): KilnError {
  return new KilnError('KILN_ERR_ARCHIVE', message, details);
}
