import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KilnError } from '../../errors/index.js';

/** Options every client command accepts (`kiln serve` is the only non-client command). */
export const CLIENT_OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Where a client command should talk to; unresolved (env and token files are read later). */
export interface ClientFlags {
  server: string | undefined;
  token: string | undefined;
  dataDir: string | undefined;
}

export function clientFlags(values: {
  server?: string | undefined;
  token?: string | undefined;
  data?: string | undefined;
}): ClientFlags {
  if (values.server !== undefined) validateServerUrl(values.server, '--server');
  if (values.token !== undefined && values.token.trim() === '') {
    throw new KilnError('KILN_ERR_VALIDATION', 'option --token must not be empty', { option: '--token' });
  }
  if (values.data !== undefined && values.data === '') {
    throw new KilnError('KILN_ERR_VALIDATION', 'option --data must not be empty', { option: '--data' });
  }
  return { server: values.server, token: values.token, dataDir: values.data };
}

export function validateServerUrl(raw: string, origin: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `${origin} must be an http(s) URL, got ${JSON.stringify(raw)}`,
      {
        option: origin,
      },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `${origin} must be an http(s) URL, got ${JSON.stringify(raw)}`,
      {
        option: origin,
      },
    );
  }
  return raw;
}

/**
 * Parses a command's arguments the one way every command does: strictly (unknown options are
 * errors), positionals allowed, node's parse errors turned into kiln usage errors.
 */
type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; strict: true; allowPositionals: true; options: O }>
>;

export function parseOptions<const O extends OptionsConfig>(
  command: string,
  args: readonly string[],
  options: O,
): Parsed<O> {
  return strictParse(command, () =>
    parseArgs({ args: [...args], strict: true, allowPositionals: true, options }),
  );
}

/**
 * Runs a `parseArgs` call and turns node's own parse errors into kiln usage errors that name the
 * option and carry a KILN_ERR_* code.
 */
function strictParse<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw translateParseError(command, err);
  }
}

function translateParseError(command: string, err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const code = (err as Error & { code?: unknown }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(err.message)?.[1] ?? 'option';
    return new KilnError('KILN_ERR_UNKNOWN_OPTION', `unknown option '${option}' for 'kiln ${command}'`, {
      option,
      command,
    });
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    // Node writes "Option '-w, --wait' ..." when there is a short form: name the long one.
    const option =
      /--[A-Za-z0-9][\w-]*/.exec(err.message)?.[0] ?? /'(-[^' ,]+)/.exec(err.message)?.[1] ?? 'option';
    // Node's wording for the common mistakes is long and aimed at programmers; say it plainly.
    let message: string;
    if (err.message.includes('does not take an argument'))
      message = `option '${option}' does not take a value`;
    else if (err.message.includes('ambiguous')) {
      message = `option '${option}' needs a value (write ${option}=VALUE for a value that starts with '-')`;
    } else message = `option '${option}' needs a value`;
    return new KilnError('KILN_ERR_VALIDATION', message, { option, command });
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']*)'/.exec(err.message)?.[1] ?? '';
    return new KilnError('KILN_ERR_VALIDATION', `unexpected argument '${arg}' for 'kiln ${command}'`, {
      command,
    });
  }
  return err;
}

/** Exactly `count` positionals, named for the message (e.g. ['ID']). */
export function positionals(command: string, given: readonly string[], names: readonly string[]): string[] {
  if (given.length < names.length) {
    const missing = names.slice(given.length).join(' ');
    throw new KilnError('KILN_ERR_VALIDATION', `'kiln ${command}' needs ${missing}`, { command });
  }
  if (given.length > names.length) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `unexpected argument '${given[names.length] ?? ''}' for 'kiln ${command}'`,
      { command },
    );
  }
  for (const [i, value] of given.entries()) {
    if (value.trim() === '') {
      throw new KilnError('KILN_ERR_VALIDATION', `${names[i] ?? 'argument'} must not be empty`, { command });
    }
  }
  return [...given];
}

/** A whole number within bounds; `option` names the flag in the message. */
export function parseInteger(option: string, raw: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(raw.trim())) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `option '${option}' must be a whole number, got ${JSON.stringify(raw)}`,
      {
        option,
      },
    );
  }
  const value = Number(raw.trim());
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `option '${option}' must be between ${min} and ${max}, got ${raw}`,
      {
        option,
      },
    );
  }
  return value;
}

/** `K=V` (the value may be empty and may contain '='). */
export function parseKeyValue(option: string, raw: string): [string, string] {
  const eq = raw.indexOf('=');
  if (eq <= 0) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `option '${option}' expects KEY=VALUE, got ${JSON.stringify(raw)}`,
      {
        option,
      },
    );
  }
  return [raw.slice(0, eq), raw.slice(eq + 1)];
}

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `--env K=V` pairs: names are checked here so a typo fails before anything is sent. */
export function parseEnv(raws: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of raws) {
    const eq = raw.indexOf('=');
    if (eq < 0) {
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `option '--env' expects NAME=VALUE, got ${JSON.stringify(raw)}`,
        {
          option: '--env',
        },
      );
    }
    const name = raw.slice(0, eq);
    if (!ENV_NAME.test(name) || name.length > 256) {
      throw new KilnError(
        'KILN_ERR_ENV_NAME',
        `invalid environment variable name ${JSON.stringify(name)} in --env`,
        {
          option: '--env',
          name,
        },
      );
    }
    env[name] = raw.slice(eq + 1);
  }
  return env;
}

export function parseLabels(raws: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const raw of raws) {
    const [key, value] = parseKeyValue('--label', raw);
    labels[key] = value;
  }
  return labels;
}

export function nonEmpty(option: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.trim() === '') {
    throw new KilnError('KILN_ERR_VALIDATION', `option '${option}' must not be empty`, { option });
  }
  return raw;
}
