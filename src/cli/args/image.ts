import { KilnError } from '../../errors/index.js';
import type { ImageConfig } from '../../persistence/index.js';
import {
  CLIENT_OPTIONS,
  clientFlags,
  nonEmpty,
  positionals,
  parseOptions,
  type ClientFlags,
} from './common.js';

/** The image's runtime settings, shared by `kiln build --image` and `kiln image`. */
export const IMAGE_CONFIG_OPTIONS = {
  entrypoint: { type: 'string', multiple: true },
  cmd: { type: 'string', multiple: true },
  'image-env': { type: 'string', multiple: true },
  workdir: { type: 'string' },
  port: { type: 'string', multiple: true },
  user: { type: 'string' },
} as const;

interface ImageConfigValues {
  entrypoint?: string[] | undefined;
  cmd?: string[] | undefined;
  'image-env'?: string[] | undefined;
  workdir?: string | undefined;
  port?: string[] | undefined;
  user?: string | undefined;
}

/** Each `--entrypoint`/`--cmd` is one argument (as in an exec-form list); undefined when none is set. */
export function parseImageConfig(values: ImageConfigValues): ImageConfig | undefined {
  const config: ImageConfig = {};
  if (values.entrypoint) config.entrypoint = values.entrypoint;
  if (values.cmd) config.cmd = values.cmd;
  if (values['image-env']) config.env = values['image-env'];
  const workingDir = nonEmpty('--workdir', values.workdir);
  if (workingDir !== undefined) config.workingDir = workingDir;
  if (values.port) config.exposedPorts = values.port;
  const user = nonEmpty('--user', values.user);
  if (user !== undefined) config.user = user;
  return Object.keys(config).length === 0 ? undefined : config;
}

export interface ImagePlan {
  command: 'image';
  client: ClientFlags;
  id: string;
  image: string;
  imageConfig: ImageConfig | undefined;
  current: boolean;
  json: boolean;
}

export function parseImageArgs(args: readonly string[]): ImagePlan | { command: 'help'; topic: 'image' } {
  const { values, positionals: rest } = parseOptions('image', args, {
    ...CLIENT_OPTIONS,
    ...IMAGE_CONFIG_OPTIONS,
    image: { type: 'string' },
    current: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) return { command: 'help', topic: 'image' };
  const [id = ''] = positionals('image', rest, ['ID']);
  const image = nonEmpty('--image', values.image);
  if (image === undefined) {
    throw new KilnError('KILN_ERR_VALIDATION', "'kiln image' needs --image REGISTRY/REPO[:TAG]", {
      option: '--image',
    });
  }
  return {
    command: 'image',
    client: clientFlags(values),
    id,
    image,
    imageConfig: parseImageConfig(values),
    current: values.current ?? false,
    json: values.json ?? false,
  };
}
