import { KilnError } from '../errors/index.js';
import type { TemplateRecord, TemplateRepo } from '../persistence/index.js';
import { builtinTemplates } from './builtin.js';
import { parseTemplateDefinition } from './definition.js';
import { renderTemplate } from './render.js';
import type { RenderedTemplate, Template, TemplateDefinition, TemplateSummary } from './types.js';
import { compareVersions } from './version.js';

export interface TemplateServiceDeps {
  repo: TemplateRepo;
  clock: () => number;
  /** Defaults to kiln's shipped templates; tests may pass their own. */
  builtins?: readonly Template[] | undefined;
  /**
   * Checks a new template's body before it is stored (the wiring passes a `nix-instantiate
   * --parse` check), so a syntax error is reported at `add`, not at the first build.
   */
  checkExpression?: ((expression: string) => Promise<void>) | undefined;
}

/** A rendered template with the name and version it came from (what a build records). */
export interface TemplateRendering extends RenderedTemplate {
  template: { name: string; version: string; builtin: boolean };
}

function fromRecord(record: TemplateRecord): Template {
  // Stored definitions were validated on the way in; parsing again keeps their shape current.
  return { ...parseTemplateDefinition(record.definition), builtin: false, createdAt: record.createdAt };
}

/** Named, versioned templates: kiln's built-ins plus those users add. */
export class TemplateService {
  readonly #deps: TemplateServiceDeps;
  readonly #builtins: ReadonlyMap<string, Template>;

  constructor(deps: TemplateServiceDeps) {
    this.#deps = deps;
    this.#builtins = new Map((deps.builtins ?? builtinTemplates()).map((t) => [t.name, t]));
  }

  /** One entry per name (its newest version), built-ins first, then stored ones by name. */
  async list(): Promise<TemplateSummary[]> {
    const summaries: TemplateSummary[] = [...this.#builtins.values()].map((t) => ({
      name: t.name,
      version: t.version,
      versions: [t.version],
      description: t.description,
      builtin: true,
      parameters: t.parameters,
    }));
    const byName = new Map<string, TemplateRecord[]>();
    for (const record of await this.#deps.repo.list()) {
      const versions = byName.get(record.name) ?? [];
      versions.push(record);
      byName.set(record.name, versions);
    }
    for (const [name, records] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
      const newest = fromRecord(records[records.length - 1]!);
      summaries.push({
        name,
        version: newest.version,
        versions: records.map((r) => r.version),
        description: newest.description,
        builtin: false,
        parameters: newest.parameters,
      });
    }
    return summaries;
  }

  /** A template by name: the given version, or its newest. KILN_ERR_NOT_FOUND otherwise. */
  async show(name: string, version?: string): Promise<Template> {
    const builtin = this.#builtins.get(name);
    if (builtin) {
      if (version !== undefined && compareVersions(version, builtin.version) !== 0) {
        throw new KilnError(
          'KILN_ERR_NOT_FOUND',
          `built-in template ${name} has only version ${builtin.version}`,
          {
            name,
            version,
          },
        );
      }
      return builtin;
    }
    const record = await this.#deps.repo.get(name, version);
    if (!record) {
      const message =
        version === undefined
          ? `no template named ${name} (kiln template list shows them)`
          : `template ${name} has no version ${version}`;
      throw new KilnError('KILN_ERR_NOT_FOUND', message, { name, ...(version !== undefined && { version }) });
    }
    return fromRecord(record);
  }

  /**
   * Validates and stores a definition. A built-in's name cannot be used; a name that exists
   * takes only a version higher than all its stored ones (KILN_ERR_CONFLICT otherwise).
   */
  async add(input: unknown): Promise<Template> {
    const definition = parseTemplateDefinition(input);
    const { name, version } = definition;
    if (this.#builtins.has(name)) {
      throw new KilnError('KILN_ERR_CONFLICT', `${name} is a built-in template; choose another name`, {
        name,
      });
    }
    const existing = (await this.#deps.repo.list()).filter((record) => record.name === name);
    const highest = existing
      .map((r) => r.version)
      .sort(compareVersions)
      .at(-1);
    if (highest !== undefined && compareVersions(version, highest) <= 0) {
      throw new KilnError(
        'KILN_ERR_CONFLICT',
        `template ${name} already has version ${highest}; add a higher version than that`,
        { name, version, latest: highest },
      );
    }
    await this.#deps.checkExpression?.(definition.expression);
    const createdAt = this.#deps.clock();
    const stored = await this.#deps.repo.insert({
      name,
      version,
      description: definition.description,
      definition: JSON.stringify(definition satisfies TemplateDefinition),
      createdAt,
    });
    if (!stored) {
      throw new KilnError('KILN_ERR_CONFLICT', `template ${name} ${version} exists already`, {
        name,
        version,
      });
    }
    return { ...definition, builtin: false, createdAt };
  }

  /** Removes one version, or every version; built-ins cannot be removed. Returns the versions removed. */
  async remove(name: string, version?: string): Promise<{ name: string; removed: number }> {
    if (this.#builtins.has(name)) {
      throw new KilnError('KILN_ERR_CONFLICT', `${name} is a built-in template and cannot be removed`, {
        name,
      });
    }
    const removed = await this.#deps.repo.remove(name, version);
    if (removed === 0) {
      throw new KilnError(
        'KILN_ERR_NOT_FOUND',
        version === undefined ? `no template named ${name}` : `template ${name} has no version ${version}`,
        { name },
      );
    }
    return { name, removed };
  }

  /**
   * The expression and environment a build of template `name` evaluates, from `--set` texts.
   * `env` (a build's own `--env`) overrides the template's defaults.
   */
  async render(
    name: string,
    params: Readonly<Record<string, string>>,
    options: { version?: string | undefined; env?: Readonly<Record<string, string>> | undefined } = {},
  ): Promise<TemplateRendering> {
    const template = await this.show(name, options.version);
    const rendered = renderTemplate(template, params, { env: options.env });
    return {
      ...rendered,
      template: { name: template.name, version: template.version, builtin: template.builtin },
    };
  }
}
