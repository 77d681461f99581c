import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { KilnError } from '../../../src/errors/index.js';
import { freePort } from '../../helpers/registry.js';
import { deliverWebhook, redactUrl, signBody, verifySignature } from '../../../src/webhooks/index.js';

/** A real HTTP receiver on loopback; `answer(n)` gives the status of the n-th request. */
async function receiver(t: TestContext, answer: (n: number) => number | 'hang') {
  const bodies: string[] = [];
  const deliveries: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString());
      deliveries.push(String(req.headers['x-kiln-delivery']));
      const status = answer(bodies.length);
      if (status === 'hang') return;
      res.statusCode = status;
      if (status === 429) res.setHeader('Retry-After', '0');
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, deliveries };
}

const fast = { baseDelayMs: 5, maxDelayMs: 20 };

void describe('webhook signatures', () => {
  void it('signs the exact body bytes with HMAC-SHA256 in GitHub format', () => {
    const body = Buffer.from('{"a":1}');
    assert.equal(signBody('k', body), `sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`);
  });

  void it('verifies only the right secret, the same bytes and the sha256= form', () => {
    const body = Buffer.from('payload');
    const header = signBody('secret', body);
    assert.equal(verifySignature('secret', body, header), true);
    assert.equal(verifySignature('secret', body, header.toUpperCase().replace('SHA256', 'sha256')), true);
    assert.equal(verifySignature('other', body, header), false);
    assert.equal(verifySignature('secret', Buffer.from('payload '), header), false);
    assert.equal(verifySignature('secret', body, header.slice('sha256='.length)), false);
    assert.equal(verifySignature('secret', body, 'sha1=abc'), false);
    assert.equal(verifySignature('secret', body, undefined), false);
  });

  void it('hides userinfo and the query of a URL in logs', () => {
    assert.equal(redactUrl('https://u:p@h.example/x?token=1'), 'https://h.example/x?…');
    assert.equal(redactUrl('http://h/x'), 'http://h/x');
    assert.equal(redactUrl('not a url'), '(invalid URL)');
  });
});

void describe('deliverWebhook', () => {
  void it('retries 5xx and 429 with the same delivery id until a 2xx', async (t) => {
    const hook = await receiver(t, (n) => (n === 1 ? 502 : n === 2 ? 429 : 202));
    const retries: string[] = [];
    const result = await deliverWebhook({
      url: hook.url,
      secret: 's',
      event: 'deploy',
      payload: { hello: 'world' },
      retry: fast,
      onRetry: (attempt, reason) => retries.push(`${attempt}: ${reason}`),
    });
    assert.equal(result.status, 202);
    assert.equal(result.attempts, 3);
    assert.equal(new Set(hook.deliveries).size, 1);
    assert.equal(hook.deliveries[0], result.deliveryId);
    assert.deepEqual(JSON.parse(hook.bodies[0]!), { hello: 'world' });
    assert.deepEqual(retries, ['1: answered 502 Bad Gateway', '2: answered 429 Too Many Requests']);
  });

  void it('fails at once on a 4xx other than 408 and 429', async (t) => {
    const hook = await receiver(t, () => 403);
    await assert.rejects(
      deliverWebhook({ url: hook.url, secret: 's', event: 'deploy', payload: {}, retry: fast }),
      (error: unknown) =>
        error instanceof KilnError &&
        /answered 403 Forbidden$/.test(error.message) &&
        error.code === 'KILN_ERR_UNAVAILABLE',
    );
    assert.equal(hook.bodies.length, 1);
  });

  void it('gives up after the attempts allowed, naming the last failure', async (t) => {
    const hook = await receiver(t, () => 500);
    await assert.rejects(
      deliverWebhook({
        url: hook.url,
        secret: 's',
        event: 'deploy',
        payload: {},
        retry: { ...fast, maxAttempts: 3 },
      }),
      /answered 500 Internal Server Error \(after 3 attempts\)/,
    );
    assert.equal(hook.bodies.length, 3);
  });

  void it('counts a receiver that does not answer in time as a failed attempt', async (t) => {
    const hook = await receiver(t, (n) => (n === 1 ? 'hang' : 200));
    const result = await deliverWebhook({
      url: hook.url,
      secret: 's',
      event: 'deploy',
      payload: {},
      retry: fast,
      attemptTimeoutMs: 200,
    });
    assert.equal(result.attempts, 2);
  });

  void it('retries refused connections, then fails clearly', async () => {
    // A port nothing listens on (fetch itself refuses well-known ports such as 1).
    const port = await freePort();
    await assert.rejects(
      deliverWebhook({
        url: `http://127.0.0.1:${port}/hook`,
        secret: 's',
        event: 'deploy',
        payload: {},
        retry: { ...fast, maxAttempts: 2 },
      }),
      /connection failed \(ECONNREFUSED\) \(after 2 attempts\)/,
    );
  });

  void it('stops when aborted', async (t) => {
    const hook = await receiver(t, () => 'hang');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 50);
    await assert.rejects(
      deliverWebhook({ url: hook.url, secret: 's', event: 'deploy', payload: {}, signal: controller.signal }),
      /stop/,
    );
  });
});
