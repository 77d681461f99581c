import type { TemplateRecord, TemplateRepo } from '../types.js';
import type { PgDb } from './db.js';

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

export class PgTemplateRepo implements TemplateRepo {
  constructor(private readonly db: PgDb) {}

  async insert(template: TemplateRecord): Promise<boolean> {
    // DO NOTHING: a duplicate name and version is an answer (false), not an exception.
    const changed = await this.db.execute(
      `INSERT INTO templates (${COLUMNS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name, version) DO NOTHING`,
      [template.name, template.version, template.description, template.definition, template.createdAt],
    );
    return changed === 1;
  }

  async list(): Promise<TemplateRecord[]> {
    const rows = await this.db.query<TemplateRow>(
      `SELECT ${COLUMNS} FROM templates ORDER BY name COLLATE "C", seq`,
    );
    return rows.map(rowToTemplate);
  }

  async get(name: string, version?: string): Promise<TemplateRecord | undefined> {
    const [row] =
      version === undefined
        ? await this.db.query<TemplateRow>(
            `SELECT ${COLUMNS} FROM templates WHERE name = $1 ORDER BY seq DESC LIMIT 1`,
            [name],
          )
        : await this.db.query<TemplateRow>(
            `SELECT ${COLUMNS} FROM templates WHERE name = $1 AND version = $2`,
            [name, version],
          );
    return row ? rowToTemplate(row) : undefined;
  }

  remove(name: string, version?: string): Promise<number> {
    return version === undefined
      ? this.db.execute('DELETE FROM templates WHERE name = $1', [name])
      : this.db.execute('DELETE FROM templates WHERE name = $1 AND version = $2', [name, version]);
  }
}
