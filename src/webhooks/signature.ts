import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header kiln signs its webhooks with, in GitHub's format: `sha256=<hex HMAC of the body>`. */
export const SIGNATURE_HEADER = 'X-Kiln-Signature-256';

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes under `secret`. */
export function signBody(secret: string, body: Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of a `sha256=<hex>` header against the body; false for any other shape. */
export function verifySignature(secret: string, body: Uint8Array, header: string | undefined): boolean {
  if (header === undefined || !/^sha256=[0-9a-f]{64}$/i.test(header.trim())) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header.trim().toLowerCase());
  return expected.length === given.length && timingSafeEqual(expected, given);
}
