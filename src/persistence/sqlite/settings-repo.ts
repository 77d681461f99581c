import type { Database } from 'better-sqlite3';
import type { SettingsRepo } from '../types.js';
import { settle } from './settle.js';

export class SqliteSettingsRepo implements SettingsRepo {
  private readonly getStatement;
  private readonly setStatement;
  private readonly deleteStatement;

  constructor(db: Database) {
    this.getStatement = db.prepare<[string], string>('SELECT value FROM settings WHERE key = ?').pluck();
    this.setStatement = db.prepare<[string, string]>(`
      INSERT INTO settings (key, value) VALUES (?, ?)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
    this.deleteStatement = db.prepare<[string]>('DELETE FROM settings WHERE key = ?');
  }

  get(key: string): Promise<string | undefined> {
    return settle(() => this.getStatement.get(key));
  }

  set(key: string, value: string): Promise<void> {
    return settle(() => {
      this.setStatement.run(key, value);
    });
  }

  delete(key: string): Promise<boolean> {
    return settle(() => this.deleteStatement.run(key).changes > 0);
  }
}
