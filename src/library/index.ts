export { NixBuildService, type NixExpressionBuildOptions } from './nix-build-service.js';
