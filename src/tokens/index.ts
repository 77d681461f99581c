export {
  hashSecret,
  newSecret,
  verifyToken,
  ensureAdminToken,
  createToken,
  type NewTokenRequest,
} from './tokens.js';
