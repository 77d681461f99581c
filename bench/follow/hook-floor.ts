/**
 * The burst's reference (`node dist/bench/follow/hook-floor.js SECRET`): the least a webhook
 * endpoint must do, verify GitHub's HMAC over the raw body and answer 202, with nothing queued.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const secret = process.argv[2] ?? '';
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const expected = Buffer.from(
      `sha256=${createHmac('sha256', secret).update(Buffer.concat(chunks)).digest('hex')}`,
    );
    const given = Buffer.from(String(req.headers['x-hub-signature-256'] ?? ''));
    const ok = given.length === expected.length && timingSafeEqual(given, expected);
    res.writeHead(ok ? 202 : 401, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
