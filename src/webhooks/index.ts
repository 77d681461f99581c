/**
 * Outgoing webhooks (deploy hooks, and later build notifications): JSON POSTs signed with
 * HMAC-SHA256 in `X-Kiln-Signature-256`, retried with backoff, and the matching verifier.
 */
export { signBody, verifySignature, SIGNATURE_HEADER } from './signature.js';
export { deliverWebhook, redactUrl, type WebhookDelivery, type WebhookResult } from './deliver.js';
