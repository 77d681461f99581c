import type { Database } from 'better-sqlite3';
import type { ProjectRecord, ProjectRepo } from '../types.js';
import { deliveryRecorder } from './deliveries.js';
import { settle } from './settle.js';

interface ProjectRow {
  name: string;
  repo_url: string;
  branches: string;
  tags: string;
  build: string;
  systems: string;
  push_cache: string | null;
  image_repo: string | null;
  deploy_hook: string | null;
  concurrency: string;
  notify: string;
  timeout_seconds: number | null;
  secrets: string | null;
  created_at: number;
  updated_at: number;
}

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
    branches: JSON.parse(row.branches) as string[],
    tags: JSON.parse(row.tags) as string[],
    build: JSON.parse(row.build) as ProjectRecord['build'],
    systems: JSON.parse(row.systems) as string[],
    pushCache: row.push_cache,
    imageRepo: row.image_repo,
    deployHook: row.deploy_hook,
    concurrency: JSON.parse(row.concurrency) as ProjectRecord['concurrency'],
    notify: JSON.parse(row.notify) as ProjectRecord['notify'],
    timeoutSeconds: row.timeout_seconds,
    secrets: row.secrets,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function projectToRow(project: ProjectRecord): ProjectRow {
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

export class SqliteProjectRepo implements ProjectRepo {
  private readonly insertStatement;
  private readonly updateStatement;
  private readonly getStatement;
  private readonly listStatement;
  private readonly deleteStatement;
  private readonly recordDeliveryNow;

  constructor(db: Database) {
    const values = COLUMNS.map((c) => `@${c}`).join(', ');
    // OR IGNORE: a duplicate name is an answer (false), not an exception.
    this.insertStatement = db.prepare<[ProjectRow]>(
      `INSERT OR IGNORE INTO projects (${COLUMNS.join(', ')}) VALUES (${values})`,
    );
    const assignments = COLUMNS.filter((c) => c !== 'name' && c !== 'created_at')
      .map((c) => `${c} = @${c}`)
      .join(', ');
    this.updateStatement = db.prepare<[ProjectRow]>(`UPDATE projects SET ${assignments} WHERE name = @name`);
    this.getStatement = db.prepare<[string], ProjectRow>(`SELECT * FROM projects WHERE name = ?`);
    this.listStatement = db.prepare<[], ProjectRow>(`SELECT * FROM projects ORDER BY name`);
    this.deleteStatement = db.prepare<[string]>('DELETE FROM projects WHERE name = ?');
    this.recordDeliveryNow = deliveryRecorder(db, {
      table: 'project_deliveries',
      ownerColumn: 'project_name',
      ownerTable: 'projects',
    });
  }

  insert(project: ProjectRecord): Promise<boolean> {
    return settle(() => this.insertStatement.run(projectToRow(project)).changes === 1);
  }

  get(name: string): Promise<ProjectRecord | undefined> {
    return settle(() => {
      const row = this.getStatement.get(name);
      return row ? rowToProject(row) : undefined;
    });
  }

  list(): Promise<ProjectRecord[]> {
    return settle(() => this.listStatement.all().map(rowToProject));
  }

  update(project: ProjectRecord): Promise<boolean> {
    return settle(() => this.updateStatement.run(projectToRow(project)).changes === 1);
  }

  delete(name: string): Promise<boolean> {
    return settle(() => this.deleteStatement.run(name).changes === 1);
  }

  recordDelivery(project: string, deliveryId: string, now: number, keep: number): Promise<boolean> {
    return settle(() => this.recordDeliveryNow(project, deliveryId, now, keep));
  }
}
