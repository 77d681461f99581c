import type { Database } from 'better-sqlite3';
import type { TemplateRecord, TemplateRepo } from '../types.js';
import { settle } from './settle.js';

interface TemplateRow {
  name: string;
  version: string;
  description: string;
  definition: string;
  created_at: number;
}

function rowToTemplate(row: TemplateRow): TemplateRecord {
  return {
    name: row.name,
    version: row.version,
    description: row.description,
    definition: row.definition,
    createdAt: row.created_at,
  };
}

const COLUMNS = 'name, version, description, definition, created_at';

export class SqliteTemplateRepo implements TemplateRepo {
  private readonly insertStatement;
  private readonly listStatement;
  private readonly getStatement;
  private readonly newestStatement;
  private readonly removeStatement;
  private readonly removeAllStatement;

  constructor(db: Database) {
    // OR IGNORE: a duplicate name+version is an answer (false), not an exception.
    this.insertStatement = db.prepare<[TemplateRecord]>(`
      INSERT OR IGNORE INTO templates (name, version, description, definition, created_at)
      VALUES (@name, @version, @description, @definition, @createdAt)`);
    this.listStatement = db.prepare<[], TemplateRow>(`SELECT ${COLUMNS} FROM templates ORDER BY name, seq`);
    this.getStatement = db.prepare<[string, string], TemplateRow>(
      `SELECT ${COLUMNS} FROM templates WHERE name = ? AND version = ?`,
    );
    this.newestStatement = db.prepare<[string], TemplateRow>(
      `SELECT ${COLUMNS} FROM templates WHERE name = ? ORDER BY seq DESC LIMIT 1`,
    );
    this.removeStatement = db.prepare<[string, string]>(
      'DELETE FROM templates WHERE name = ? AND version = ?',
    );
    this.removeAllStatement = db.prepare<[string]>('DELETE FROM templates WHERE name = ?');
  }

  insert(template: TemplateRecord): Promise<boolean> {
    return settle(() => {
      const { name, version, description, definition, createdAt } = template;
      return this.insertStatement.run({ name, version, description, definition, createdAt }).changes === 1;
    });
  }

  list(): Promise<TemplateRecord[]> {
    return settle(() => this.listStatement.all().map(rowToTemplate));
  }

  get(name: string, version?: string): Promise<TemplateRecord | undefined> {
    return settle(() => {
      const row =
        version === undefined ? this.newestStatement.get(name) : this.getStatement.get(name, version);
      return row ? rowToTemplate(row) : undefined;
    });
  }

  remove(name: string, version?: string): Promise<number> {
    return settle(() =>
      version === undefined
        ? this.removeAllStatement.run(name).changes
        : this.removeStatement.run(name, version).changes,
    );
  }
}
