import type { Page } from '../page.js';
import { buildPage } from './build.js';
import { buildsPage } from './builds.js';
import { newBuildPage } from './new-build.js';
import { signInPage } from './sign-in.js';
import { groupPage } from './group.js';
import { projectPage, projectsPage } from './projects.js';
import { cachesPage } from './caches.js';
import { statsPage } from './stats.js';

/** The route table: the first pattern that matches the location's path renders its page. */
export const routes: [string, Page][] = [
  ['/', buildsPage],
  ['/builds/:id', buildPage],
  ['/new', newBuildPage],
  ['/sign-in', signInPage],
  ['/groups/:id', groupPage],
  ['/projects', projectsPage],
  ['/projects/:name', projectPage],
  ['/caches', cachesPage],
  ['/stats', statsPage],
];
