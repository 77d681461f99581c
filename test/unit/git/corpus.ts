import type { GitUrlPolicy } from '../../../src/git/index.js';

/** Replaced by a temp file path in the integration test, which checks the file is never created. */
export const MARKER = '/tmp/kiln-marker-placeholder';

export interface HostileEntry {
  kind: 'url' | 'ref' | 'attr';
  value: string;
  /** Policy for URLs (default: local allowed, the most permissive setting). */
  policy?: GitUrlPolicy;
  /** A fragment the error message must contain (actionable errors). */
  message?: RegExp;
}

const local: GitUrlPolicy = { allowLocal: true };
const remoteOnly: GitUrlPolicy = { allowLocal: false };

/** Hostile or broken values; every one must be a KILN_ERR_GIT_URL, and nothing may run. */
export function hostileCorpus(marker: string = MARKER): HostileEntry[] {
  const url = (value: string, extra: Partial<HostileEntry> = {}): HostileEntry => ({
    kind: 'url',
    value,
    ...extra,
  });
  const ref = (value: string, extra: Partial<HostileEntry> = {}): HostileEntry => ({
    kind: 'ref',
    value,
    ...extra,
  });
  const attr = (value: string): HostileEntry => ({ kind: 'attr', value });
  return [
    // Remote helpers and option injection.
    url(`ext::sh -c touch% ${marker}`),
    url(`ext::sh%20-c%20touch%20${marker}`, { message: /remote helper/ }),
    url('fd::17'),
    url(`transport::https://github.com/x/y.git`, { message: /remote helper/ }),
    url(`--upload-pack=touch ${marker}`),
    url(`--upload-pack=touch%20${marker}`, { message: /must not start with '-'/ }),
    url(`-oProxyCommand=touch%20${marker}`, { message: /must not start with '-'/ }),
    url(`ssh://-oProxyCommand=touch%20${marker}/x`, { message: /host/ }),
    url(`ssh://git@-oProxyCommand=x/repo.git`),
    url(`git@github.com:-oProxyCommand=x`),
    url(`https://-github.com/x.git`),
    url(`git@github.com:x/$(touch${'${IFS}'}${marker})`),
    url('https://github.com/x/`id`.git'),
    // Local repositories when they are off.
    url('file:///etc/passwd', { policy: remoteOnly, message: /local repository/ }),
    url('/etc/passwd', { policy: remoteOnly, message: /local repository/ }),
    url('file://otherhost/etc/passwd', { policy: local }),
    url('/tmp/../etc/passwd', { policy: local }),
    url('relative/path/repo.git', { policy: local }),
    // Embedded credentials.
    url('https://user:tok@github.com/x/y.git', { message: /--git-token-file/ }),
    url('https://ghp_token123@github.com/x/y.git', { message: /--git-token-file/ }),
    url('HTTPS://user@github.com/x/y.git', { message: /--git-token-file/ }),
    url('ssh://git:hunter2@github.com/x/y.git', { message: /--git-token-file/ }),
    url('https://github.com\\@evil.example/x.git'),
    // Traversal.
    url('https://github.com/../../x', { message: /'\.\.'/ }),
    url('https://github.com/a/%2e%2e/x', { message: /'\.\.'/ }),
    url('ssh://git@github.com/a/../../etc/passwd'),
    url('git@github.com:../../etc/passwd'),
    // Unicode look-alikes and invisible characters.
    url('https://gіthub.com/x/y.git', { message: /U\+0456/ }),
    url('https://ｇithub.com/x/y.git', { message: /non-ASCII/ }),
    url('https://github.com\u200b/x/y.git', { message: /U\+200B/ }),
    // Control characters and whitespace.
    url(`https://github.com/x/y\n--upload-pack=touch ${marker}`, { message: /control character U\+000A/ }),
    url('https://github.com/x\0y', { message: /U\+0000/ }),
    url('https://github.com/x\ty'),
    url('https://github.com/x y', { message: /space/ }),
    url('https://github.com/x/y.git\r\n'),
    url('https://github.com/x%0a--upload-pack=y', { message: /percent-escape/ }),
    // Over-long and malformed.
    url(`https://github.com/${'a'.repeat(3000)}`, { message: /limit is 2048/ }),
    url(''),
    url('git://github.com/x/y.git', { message: /unsupported scheme/ }),
    url('ftp://github.com/x/y.git'),
    url('https://github.com'),
    url('https://github.com/x.git?foo=bar'),
    url('https://github.com/x.git#main'),
    url('ssh://github.com:99999/x.git', { message: /port/ }),
    // Hosts outside the allow-list.
    url('https://evil.example/x/y.git', {
      policy: { allowLocal: false, allowedHosts: ['github.com'] },
      message: /allowed hosts/,
    }),
    url('git@github.com.evil.example:x/y.git', {
      policy: { allowLocal: false, allowedHosts: ['github.com'] },
    }),
    // Refs.
    ref('../x'),
    ref('-x', { message: /must not start with '-'/ }),
    ref(`--upload-pack=touch ${marker}`),
    ref('a..b', { message: /'\.\.'/ }),
    ref('a@{1}', { message: /@\{/ }),
    ref('x.lock', { message: /\.lock/ }),
    ref('refs/heads/x.lock/y'),
    ref('HEAD~1'),
    ref('main^'),
    ref('main^{tree}'),
    ref('a:b'),
    ref('a b'),
    ref('a\tb'),
    ref('a\nb'),
    ref('a\0b'),
    ref('refs//heads'),
    ref('/main'),
    ref('main/'),
    ref('main.'),
    ref('.hidden'),
    ref('a/.b'),
    ref('feat*'),
    ref('a?'),
    ref('[a]'),
    ref('a\\b'),
    ref('@'),
    ref('ﬁx'),
    ref(''),
    ref('b'.repeat(300), { message: /limit is 255/ }),
    // Attribute paths.
    attr('-x'),
    attr('--expr'),
    attr('a..b'),
    attr('.a'),
    attr('a.'),
    attr('1abc'),
    attr('a b'),
    attr('a;b'),
    attr('packages."x"'),
    attr('a/b'),
    attr('${x}'),
    attr('ａ'),
    attr('a\nb'),
    attr('a'.repeat(300)),
    attr(''),
  ];
}
