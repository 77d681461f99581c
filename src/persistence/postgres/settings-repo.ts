import type { SettingsRepo } from '../types.js';
import type { PgDb } from './db.js';

export class PgSettingsRepo implements SettingsRepo {
  constructor(private readonly db: PgDb) {}

  async get(key: string): Promise<string | undefined> {
    const [row] = await this.db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
    return row?.value;
  }

  async set(key: string, value: string): Promise<void> {
    await this.db.execute(
      `INSERT INTO settings (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [key, value],
    );
  }

  async delete(key: string): Promise<boolean> {
    return (await this.db.execute('DELETE FROM settings WHERE key = $1', [key])) > 0;
  }
}
