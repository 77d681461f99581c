import { KilnError } from '../../errors/index.js';
import { isHashAlgo, type HashAlgo } from '../../nar/index.js';
import { nonEmpty, parseOptions, positionals } from './common.js';

/** `kiln prefetch SOURCE`: hash a URL, file, directory or git revision as Nix would, locally. */
export interface PrefetchPlan {
  command: 'prefetch';
  source: string;
  unpack: boolean;
  json: boolean;
  name: string | undefined;
  rev: string | undefined;
  algo: HashAlgo;
}

export function parsePrefetchArgs(
  args: readonly string[],
): PrefetchPlan | { command: 'help'; topic: 'prefetch' } {
  const { values, positionals: rest } = parseOptions('prefetch', args, {
    unpack: { type: 'boolean' },
    json: { type: 'boolean' },
    name: { type: 'string' },
    rev: { type: 'string' },
    type: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { command: 'help', topic: 'prefetch' };
  const [source = ''] = positionals('prefetch', rest, ['URL_OR_PATH']);
  const algo = values.type ?? 'sha256';
  if (!isHashAlgo(algo)) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `option --type must be one of sha256, sha512, sha1, md5, not '${algo}'`,
      {
        option: '--type',
        command: 'prefetch',
      },
    );
  }
  return {
    command: 'prefetch',
    source,
    unpack: values.unpack ?? false,
    json: values.json ?? false,
    name: nonEmpty('--name', values.name),
    rev: nonEmpty('--rev', values.rev),
    algo,
  };
}
