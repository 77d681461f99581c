import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { submitBody, type NewBuildForm } from '../../../src/web/client/new-build-form.js';

const empty: NewBuildForm = {
  expression: '',
  gitUrl: '',
  gitRef: '',
  gitAttr: '',
  systems: '',
  timeoutSeconds: '',
  push: '',
};

describe('submitBody', () => {
  it('sends an expression as it was typed', () => {
    const expression = 'derivation { name = "x"; }\n';
    assert.deepEqual(submitBody({ ...empty, expression }), {
      body: { source: { kind: 'expr', expression } },
    });
  });

  it('sends a Git source with its ref and attribute when given', () => {
    assert.deepEqual(
      submitBody({ ...empty, gitUrl: ' https://x/app.git ', gitRef: 'main', gitAttr: 'hello' }),
      {
        body: { source: { kind: 'git', url: 'https://x/app.git', ref: 'main', attr: 'hello' } },
      },
    );
    assert.deepEqual(submitBody({ ...empty, gitUrl: 'https://x/app.git' }), {
      body: { source: { kind: 'git', url: 'https://x/app.git' } },
    });
  });

  it('needs exactly one source', () => {
    assert.ok('error' in submitBody(empty));
    assert.ok('error' in submitBody({ ...empty, expression: 'x', gitUrl: 'https://x/app.git' }));
  });

  it('splits systems, removes repeats and rejects names that are not systems', () => {
    assert.deepEqual(
      submitBody({ ...empty, expression: 'x', systems: 'x86_64-linux, i686-linux x86_64-linux' }),
      {
        body: { source: { kind: 'expr', expression: 'x' }, systems: ['x86_64-linux', 'i686-linux'] },
      },
    );
    const bad = submitBody({ ...empty, expression: 'x', systems: 'linux' });
    assert.ok('error' in bad && bad.error.includes('"linux"'));
  });

  it('takes a whole-number timeout and a cache to push to', () => {
    assert.deepEqual(submitBody({ ...empty, expression: 'x', timeoutSeconds: '60', push: 'main' }), {
      body: { source: { kind: 'expr', expression: 'x' }, timeoutSeconds: 60, push: 'main' },
    });
    assert.ok('error' in submitBody({ ...empty, expression: 'x', timeoutSeconds: '1.5' }));
    assert.ok('error' in submitBody({ ...empty, expression: 'x', timeoutSeconds: '0' }));
  });
});
