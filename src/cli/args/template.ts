import { KilnError } from '../../errors/index.js';
import {
  CLIENT_OPTIONS,
  clientFlags,
  nonEmpty,
  positionals,
  type ClientFlags,
  parseOptions,
} from './common.js';

/** `kiln template list|show|add|remove`. */
export type TemplatePlan = { command: 'template'; client: ClientFlags; json: boolean } & (
  | { action: 'list' }
  | { action: 'show'; name: string; version: string | undefined }
  | { action: 'add'; file: string }
  | { action: 'remove'; name: string; version: string | undefined }
);

export function parseTemplateArgs(
  args: readonly string[],
): TemplatePlan | { command: 'help'; topic: 'template' } {
  const { values, positionals: rest } = parseOptions('template', args, {
    ...CLIENT_OPTIONS,
    json: { type: 'boolean' },
    version: { type: 'string' },
  });
  if (values.help) return { command: 'help', topic: 'template' };
  const [action, ...operands] = rest;
  const base = { command: 'template' as const, client: clientFlags(values), json: values.json ?? false };
  const version = nonEmpty('--version', values.version);
  const noVersion = (sub: string): void => {
    if (version !== undefined) {
      throw new KilnError('KILN_ERR_VALIDATION', `'kiln template ${sub}' does not take --version`, {
        option: '--version',
        command: 'template',
      });
    }
  };
  switch (action) {
    case 'list':
      positionals('template list', operands, []);
      noVersion('list');
      return { ...base, action };
    case 'show': {
      const [name = ''] = positionals('template show', operands, ['NAME']);
      return { ...base, action, name, version };
    }
    case 'add': {
      const [file = ''] = positionals('template add', operands, ['FILE.json']);
      noVersion('add');
      return { ...base, action, file };
    }
    case 'remove': {
      const [name = ''] = positionals('template remove', operands, ['NAME']);
      return { ...base, action, name, version };
    }
    default:
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        action === undefined
          ? "'kiln template' needs a subcommand: list, show, add or remove"
          : `unknown subcommand 'kiln template ${action}' (one of: list, show, add, remove)`,
        { command: 'template' },
      );
  }
}
