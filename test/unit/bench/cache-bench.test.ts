import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { CLOSURE_SIZE, fixturesNix, hashPart, NARINFO_SET_SIZE } from '../../../bench/cache/fixtures.js';
import { nginxConfig } from '../../../bench/cache/nginx.js';
import { lowerIsBetter, higherIsBetter, renderTable, verdict } from '../../../bench/cache/report.js';
import { parseWrkOutput, randomPathScript } from '../../../bench/cache/wrk.js';

const run = promisify(execFile);

const WRK_OUTPUT = `Running 10s test @ http://127.0.0.1:40000
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.08ms    1.02ms  30.12ms   90.00%
    Req/Sec    15.60k     1.10k   18.00k    70.00%
  Latency Distribution
     50%  850.00us
     75%    2.10ms
     90%    3.20ms
     99%    1.20s
  310000 requests in 10.00s, 190.00MB read
Requests/sec:  31000.50
Transfer/sec:     19.00MB
`;

describe('wrk output', () => {
  it('gives requests per second and percentiles in milliseconds, whatever unit wrk printed', () => {
    const result = parseWrkOutput(WRK_OUTPUT);
    assert.deepEqual(result, {
      requestsPerSecond: 31000.5,
      p50Ms: 0.85,
      p99Ms: 1200,
      requests: 310000,
      errors: 0,
    });
  });

  it('counts non-2xx responses and socket errors as errors', () => {
    const text = WRK_OUTPUT.replace(
      'Requests/sec',
      '  Socket errors: connect 1, read 2, write 3, timeout 4\n  Non-2xx or 3xx responses: 5\nRequests/sec',
    );
    assert.equal(parseWrkOutput(text).errors, 15);
  });

  it('refuses output without a latency distribution (wrk run without --latency)', () => {
    assert.throws(() => parseWrkOutput(WRK_OUTPUT.replace(/ {5}99%.*\n/, '')), /99% latency/);
  });
});

describe('wrk script', () => {
  it('lists every URL path once and picks among them at random', () => {
    const script = randomPathScript(['/cache/a/x.narinfo', '/cache/a/y.narinfo']);
    assert.match(script, /"\/cache\/a\/x\.narinfo",\n {2}"\/cache\/a\/y\.narinfo",/);
    assert.match(script, /wrk\.format\("GET", paths\[math\.random\(count\)\]\)/);
  });

  it('refuses paths that would break out of the Lua string', () => {
    assert.throws(() => randomPathScript(['/a"b']), /not a plain URL path/);
  });
});

describe('nginx configuration', () => {
  it('runs one worker in the foreground on 127.0.0.1:PORT with everything under its run directory', () => {
    const conf = nginxConfig({ port: 41234, root: '/tmp/www', runDir: '/tmp/run' });
    assert.match(conf, /^worker_processes 1;$/m);
    assert.match(conf, /^daemon off;$/m);
    assert.match(conf, /listen 127\.0\.0\.1:41234;/);
    assert.match(conf, /root \/tmp\/www;/);
    for (const line of conf.split('\n').filter((l) => /(_path|pid|error_log) /.test(l))) {
      assert.match(line, /\/tmp\/run\//, line);
    }
  });
});

describe('goal table', () => {
  it('says met or missed by the ratio, kiln over nginx for rates and nginx over kiln for times', () => {
    assert.equal(higherIsBetter(450, 1000), 0.45);
    assert.equal(lowerIsBetter(2, 4), 2);
    assert.equal(verdict({ label: 'x', baseline: '', kiln: '', ratio: 0.5, goal: 0.5 }), 'met');
    assert.equal(verdict({ label: 'x', baseline: '', kiln: '', ratio: 0.49, goal: 0.5 }), 'missed');
    assert.equal(verdict({ label: 'x', baseline: '', kiln: 'n/a', goal: 0.5 }), 'missed');
    assert.equal(verdict({ label: 'x', baseline: '', kiln: '' }), '');
  });

  it('renders aligned columns with the ratio and goal', () => {
    const table = renderTable('title', 'nginx', [
      { label: 'narinfo GET/s', baseline: '30000', kiln: '16000', ratio: 16000 / 30000, goal: 0.5 },
      { label: 'p99', baseline: '1.00 ms', kiln: '2.00 ms', ratio: 0.5 },
    ]);
    assert.equal(
      table,
      [
        'title',
        '                 nginx    kiln     ratio  goal',
        '  narinfo GET/s  30000    16000    0.53x  >= 0.5x  met',
        '  p99            1.00 ms  2.00 ms  0.50x',
      ].join('\n'),
    );
  });
});

describe('fixtures', () => {
  it('names narinfos by the hash part of the store path', () => {
    assert.equal(
      hashPart('/nix/store/279h7j4965mrxwcnk7dvqbkkbaip6qnf-kiln-bench-narinfo-0'),
      '279h7j4965mrxwcnk7dvqbkkbaip6qnf',
    );
  });

  it('is an expression Nix evaluates to the 1,000-path set, the closure root and the big NAR', async () => {
    const { stdout } = await run('nix-instantiate', [
      '--eval',
      '--strict',
      '--expr',
      `let f = ${fixturesNix()}; in [ (builtins.length f.narinfoSet) f.closure.name (builtins.length f.closure.kids) f.bigNar.name ]`,
    ]);
    assert.equal(stdout.trim(), `[ ${NARINFO_SET_SIZE} "kiln-bench-closure-0" 2 "kiln-bench-big-nar" ]`);
    assert.equal(CLOSURE_SIZE, 300);
  });
});
