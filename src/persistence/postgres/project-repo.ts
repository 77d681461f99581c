import type { ProjectRecord, ProjectRepo } from '../types.js';
import type { PgDb } from './db.js';
import { recordDelivery } from './deliveries.js';

interface ProjectRow {
  name: string;
  repo_url: string;
  branches: string[];
  tags: string[];
  build: ProjectRecord['build'];
  systems: string[];
  push_cache: string | null;
  image_repo: string | null;
  deploy_hook: string | null;
  concurrency: ProjectRecord['concurrency'];
  notify: ProjectRecord['notify'];
  timeout_seconds: number | null;
  secrets: string | null;
  created_at: number;
  updated_at: number;
}

/** Columns in INSERT parameter order. */
const COLUMNS = [
  'name',
  'repo_url',
  'branches',
  'tags',
  'build',
  'systems',
  'push_cache',
  'image_repo',
  'deploy_hook',
  'concurrency',
  'notify',
  'timeout_seconds',
  'secrets',
  'created_at',
  'updated_at',
] as const;

function rowToProject(row: ProjectRow): ProjectRecord {
  return {
    name: row.name,
    repoUrl: row.repo_url,
    branches: row.branches,
    tags: row.tags,
    build: row.build,
    systems: row.systems,
    pushCache: row.push_cache,
    imageRepo: row.image_repo,
    deployHook: row.deploy_hook,
    concurrency: row.concurrency,
    notify: row.notify,
    timeoutSeconds: row.timeout_seconds,
    secrets: row.secrets,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

type Column = (typeof COLUMNS)[number];

/** The row's values by column; JSON columns as JSON text. */
function projectValues(project: ProjectRecord): Record<Column, unknown> {
  return {
    name: project.name,
    repo_url: project.repoUrl,
    branches: JSON.stringify(project.branches),
    tags: JSON.stringify(project.tags),
    build: JSON.stringify(project.build),
    systems: JSON.stringify(project.systems),
    push_cache: project.pushCache,
    image_repo: project.imageRepo,
    deploy_hook: project.deployHook,
    concurrency: JSON.stringify(project.concurrency),
    notify: JSON.stringify(project.notify),
    timeout_seconds: project.timeoutSeconds,
    secrets: project.secrets,
    created_at: project.createdAt,
    updated_at: project.updatedAt,
  };
}

const INSERT_SQL = `INSERT INTO projects (${COLUMNS.join(', ')})
  VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT (name) DO NOTHING`;
/** What an update may change: everything but the name (the key, $1) and the creation time. */
const UPDATED_COLUMNS = COLUMNS.filter((column) => column !== 'name' && column !== 'created_at');
const UPDATE_SQL = `UPDATE projects SET ${UPDATED_COLUMNS.map((column, i) => `${column} = $${i + 2}`).join(', ')}
  WHERE name = $1`;

export class PgProjectRepo implements ProjectRepo {
  constructor(private readonly db: PgDb) {}

  async insert(project: ProjectRecord): Promise<boolean> {
    const values = projectValues(project);
    return (
      (await this.db.execute(
        INSERT_SQL,
        COLUMNS.map((column) => values[column]),
      )) === 1
    );
  }

  async get(name: string): Promise<ProjectRecord | undefined> {
    const [row] = await this.db.query<ProjectRow>('SELECT * FROM projects WHERE name = $1', [name]);
    return row ? rowToProject(row) : undefined;
  }

  async list(): Promise<ProjectRecord[]> {
    const rows = await this.db.query<ProjectRow>('SELECT * FROM projects ORDER BY name COLLATE "C"');
    return rows.map(rowToProject);
  }

  async update(project: ProjectRecord): Promise<boolean> {
    const values = projectValues(project);
    return (
      (await this.db.execute(UPDATE_SQL, [
        project.name,
        ...UPDATED_COLUMNS.map((column) => values[column]),
      ])) === 1
    );
  }

  async delete(name: string): Promise<boolean> {
    // Its builds stay; its delivery ids go with it through ON DELETE CASCADE.
    return (await this.db.execute('DELETE FROM projects WHERE name = $1', [name])) === 1;
  }

  recordDelivery(project: string, deliveryId: string, now: number, keep: number): Promise<boolean> {
    const table = {
      table: 'project_deliveries',
      ownerColumn: 'project_name',
      ownerTable: 'projects',
    } as const;
    return recordDelivery(this.db, table, project, deliveryId, now, keep);
  }
}
