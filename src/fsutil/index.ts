export { writeFileAtomic } from './atomic-write.js';
export { pathExists } from './exists.js';
