/**
 * Secrets encrypted at rest: AES-256-GCM under a master key kept in a 0600 file. Ciphertexts carry
 * a version and the id of the key that sealed them, so the master key can be rotated later.
 */
export { SecretBox, CIPHERTEXT_VERSION } from './secret-box.js';
export { loadOrCreateMasterKey, masterKeyFromBytes, MASTER_KEY_BYTES, type MasterKey } from './master-key.js';
