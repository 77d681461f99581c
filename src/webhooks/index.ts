/**
 * Outgoing webhooks (deploy hooks, build notifications): JSON POSTs signed with HMAC-SHA256 in
 * `X-Kiln-Signature-256`, retried with backoff, and the matching verifier; and incoming
 * webhooks of GitHub, Gitea and GitLab (release/tag hooks for version syncs, push hooks for
 * projects), verified over the raw body.
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
export { readPushHook, type PushHook, type PushRepository, type PushHeadCommit } from './push.js';
