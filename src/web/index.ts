// The web UI's server side: index.html for the UI's routes (a single-page app) and its static
// assets under /ui/, read from dist/web (compiled by tsconfig.web.json, copied by copy-assets).
// All of it is public: the page holds no data; every API call it makes needs the admin token.
export { webRoutes, UI_ROUTES, type WebRoutesOptions } from './routes.js';
