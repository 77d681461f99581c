import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../../src/errors/index.js';
import { parseNix } from '../../../../src/packaging/index.js';
import { tempDir } from '../../../helpers/tmp.js';
import { nixParseFiles } from './nix-cli.js';

/** Malformed files: where we report the error (line:column) and what we say. */
const MALFORMED: readonly { text: string; at: string; reason: RegExp }[] = [
  { text: '{\n  a = ;\n}\n', at: '2:7', reason: /unexpected ';'/ },
  { text: 'a = ;', at: '1:3', reason: /unexpected '='/ },
  { text: '{ a = 1; }\n}', at: '2:1', reason: /unexpected '}', expecting end of file/ },
  { text: '}', at: '1:1', reason: /unexpected '}'/ },
  { text: '{\n  url = "https://example.org;\n}\n', at: '2:9', reason: /unterminated string/ },
  { text: "{\n  script = ''\n    echo hi\n}\n", at: '2:12', reason: /unterminated indented string/ },
  { text: '{ a = 1; } /* never closed', at: '1:12', reason: /unterminated comment/ },
  { text: '{ lib }:\n{\n  a = 1;\n', at: '4:1', reason: /unexpected end of file/ },
  { text: '[ 1 2', at: '1:6', reason: /unexpected end of file, expecting '\]'/ },
  { text: '{ a = 1 }', at: '1:9', reason: /unexpected '}', expecting ';'/ },
  { text: 'let a = 1; in', at: '1:14', reason: /unexpected end of file/ },
  { text: 'if true then 1', at: '1:15', reason: /expecting 'else'/ },
  { text: './a/', at: '1:5', reason: /path has a trailing slash/ },
  { text: '{ a, ..., b }: a', at: '1:9', reason: /unexpected ','/ },
  { text: 'a.', at: '1:3', reason: /expecting an attribute name/ },
  { text: '1 % 2', at: '1:3', reason: /unexpected character "%"/ },
  { text: '"${1 + }"', at: '1:8', reason: /unexpected '}'/ },
  { text: 'x: y:', at: '1:6', reason: /unexpected end of file/ },
  { text: '1 == 2 == 3', at: '1:8', reason: /unexpected '=='/ },
  { text: '[ -1 ]', at: '1:3', reason: /unexpected '-'/ },
  { text: '\r\n{\r\n\ta = ;\r\n}', at: '3:6', reason: /unexpected ';'/ },
];

describe('Nix syntax errors', () => {
  for (const { text, at, reason } of MALFORMED) {
    it(`rejects ${JSON.stringify(text)} at ${at}`, () => {
      assert.throws(
        () => parseNix(text),
        (error: unknown) => {
          assert.ok(isKilnError(error));
          assert.equal(error.code, 'KILN_ERR_NIX_SYNTAX');
          assert.ok(error.message.startsWith(`${at}: `), error.message);
          assert.match(error.message, reason);
          return true;
        },
      );
    });
  }

  it('Nix rejects every one of them too', (t) => {
    const dir = tempDir(t, 'kiln-nix-bad-');
    MALFORMED.forEach(({ text }, i) => {
      const file = join(dir, `bad-${i}.nix`);
      writeFileSync(file, text);
      const run = nixParseFiles([file]);
      assert.notEqual(run.status, 0, `nix accepted ${JSON.stringify(text)}`);
      assert.match(run.stderr, /error/);
    });
  });
});
