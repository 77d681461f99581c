export { hashSecret, newSecret, verifyToken, ensureAdminToken } from './tokens.js';
