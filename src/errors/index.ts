export { KilnError, isKilnError, type ErrorCode, ERROR_CODES } from './kiln-error.js';
