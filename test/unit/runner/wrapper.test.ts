import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  RESERVED_ENV_NAMES,
  WRAPPER_ARGS_FILE,
  splitAttrPath,
  wrapperArgsJson,
  wrapperSource,
} from '../../../src/runner/nix/index.js';

describe('wrapper generation', () => {
  it('reads its arguments from the JSON file beside it, never from spliced source', () => {
    const source = wrapperSource();
    assert.ok(source.includes(`builtins.fromJSON (builtins.readFile ./${WRAPPER_ARGS_FILE})`));
    assert.ok(source.includes('import args.file'));
    assert.ok(source.includes('derivation (d.drvAttrs // env)'));
    assert.ok(source.includes('if env == { } then value else injectAll value'));
  });

  it('reports a missing attribute in the words of nix-instantiate', () => {
    const source = wrapperSource();
    assert.ok(source.includes("throw \"attribute '${name}' in selection path '${path}' not found\""));
  });

  it('serialises the arguments as JSON, so any value (quotes, ${…}, newlines) stays data', () => {
    const env = { NODE_ENV: 'production', TRICKY: '${builtins.abort "x"}"\n\\' };
    const json = wrapperArgsJson({ file: '/w/default.nix', attrPath: ['a', '0'], env });
    assert.deepEqual(JSON.parse(json), { file: '/w/default.nix', attrPath: ['a', '0'], env });
    assert.ok(json.endsWith('\n'));
  });

  it('splits attribute paths like -A and refuses empty names', () => {
    assert.deepEqual(splitAttrPath(undefined), []);
    assert.deepEqual(splitAttrPath(''), []);
    assert.deepEqual(splitAttrPath('a'), ['a']);
    assert.deepEqual(splitAttrPath('pkgs.hello.0'), ['pkgs', 'hello', '0']);
    assert.throws(() => splitAttrPath('a..b'), RangeError);
    assert.throws(() => splitAttrPath('.a'), RangeError);
  });

  it('reserves the attributes that define what a derivation is', () => {
    for (const name of ['name', 'system', 'builder', 'args', 'outputs', '__structuredAttrs']) {
      assert.ok(RESERVED_ENV_NAMES.includes(name), name);
    }
    assert.ok(!RESERVED_ENV_NAMES.includes('NODE_ENV'));
  });
});
