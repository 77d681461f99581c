/** A template's parameter types. `list` is a list of strings. */
export const PARAMETER_TYPES = ['string', 'integer', 'boolean', 'enum', 'list'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

/** A parameter's value once parsed: what is rendered as a Nix literal. */
export type ParameterValue = string | number | boolean | readonly string[];

export interface TemplateParameter {
  /** A Nix identifier: the attribute the expression's function receives. */
  name: string;
  type: ParameterType;
  description: string;
  /** True when the user must give a value; otherwise `default` is used. */
  required: boolean;
  /** Present exactly when `required` is false. */
  default?: ParameterValue | undefined;
  /** `enum`: the allowed values. */
  values?: readonly string[] | undefined;
  /** `string`, `list` (each item): a regular expression the whole value must match. */
  pattern?: string | undefined;
  /** `integer`: inclusive bounds. */
  min?: number | undefined;
  max?: number | undefined;
}

/** A validated template definition: what `kiln template add` sends and what is stored. */
export interface TemplateDefinition {
  name: string;
  /** Dot-separated numbers, e.g. `1.2.0`; a new version of a template must be higher. */
  version: string;
  description: string;
  parameters: readonly TemplateParameter[];
  /** Default builder environment variables (a build's own `--env` wins). */
  env: Readonly<Record<string, string>>;
  /** A Nix expression that evaluates to a function of an attribute set of the parameters. */
  expression: string;
}

export interface Template extends TemplateDefinition {
  /** Shipped with kiln (cannot be removed or shadowed). */
  builtin: boolean;
  /** When it was added; null for built-ins. */
  createdAt: number | null;
}

/** One template name in a listing: its newest version, plus every version kiln has. */
export interface TemplateSummary {
  name: string;
  version: string;
  versions: string[];
  description: string;
  builtin: boolean;
  parameters: readonly TemplateParameter[];
}

/** A template applied to parameter values: what a build evaluates. */
export interface RenderedTemplate {
  /** `(BODY) { p = literal; ... }`: a complete Nix expression. */
  expression: string;
  /** The template's default environment merged with the caller's overrides. */
  env: Record<string, string>;
  /** Every parameter's value, defaults included, as rendered. */
  values: Record<string, ParameterValue>;
}
