import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { KeyedLock } from '../../../src/builds/index.js';

void describe('KeyedLock', () => {
  void it('runs sections of one key one at a time, in order, and other keys meanwhile', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const section = (key: string, name: string, ms: number) =>
      lock.run(key, async () => {
        events.push(`start ${name}`);
        await sleep(ms);
        events.push(`end ${name}`);
        return name;
      });
    const results = await Promise.all([section('g', 'a', 30), section('g', 'b', 1), section('h', 'c', 1)]);
    assert.deepEqual(results, ['a', 'b', 'c']);
    assert.ok(events.indexOf('end a') < events.indexOf('start b'), events.join(', '));
    assert.ok(events.indexOf('end c') < events.indexOf('end a'), 'another key does not wait');
  });

  void it('releases the key when a section throws', async () => {
    const lock = new KeyedLock();
    await assert.rejects(
      lock.run('g', () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(await lock.run('g', () => Promise.resolve(1)), 1);
  });
});
