/**
 * Outgoing webhooks (deploy hooks, and later build notifications): JSON POSTs signed with
 * HMAC-SHA256 in `X-Kiln-Signature-256`, retried with backoff, and the matching verifier; and
 * incoming release/tag webhooks of GitHub, Gitea and GitLab, verified over the raw body.
 */
export { signBody, verifySignature, SIGNATURE_HEADER } from './signature.js';
export { deliverWebhook, redactUrl, type WebhookDelivery, type WebhookResult } from './deliver.js';
export {
  readReleaseHook,
  verifyHook,
  hookProvider,
  deliveryId,
  type ReleaseHook,
  type HookProvider,
  type HookHeaders,
} from './incoming.js';
