/**
 * Templates: named, versioned, parameterised Nix expressions. Pure definitions and rendering
 * (values become escaped Nix literals, never code), kiln's built-ins, and the service that
 * stores users' templates.
 */
export {
  PARAMETER_TYPES,
  type ParameterType,
  type ParameterValue,
  type RenderedTemplate,
  type Template,
  type TemplateDefinition,
  type TemplateParameter,
  type TemplateSummary,
} from './types.js';
export { parseTemplateDefinition, MAX_EXPRESSION_BYTES } from './definition.js';
export { inlineExpressionFile } from './definition-file.js';
export { renderTemplate, resolveTemplateValues } from './render.js';
export { parseParameterText, checkParameterValue, typeLabel } from './params.js';
export { nixString, nixLiteral, nixAttrSet, unrepresentableInNix } from './nix-literal.js';
export { compareVersions, isVersion } from './version.js';
export { builtinTemplates, BUILTIN_TEMPLATE_NAMES } from './builtin.js';
export { TemplateService, type TemplateServiceDeps, type TemplateRendering } from './service.js';
