import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdapter } from '../../adapters/index.js';
import { adapterConformance } from './conformance.js';

adapterConformance(
  'sqlite (file, WAL)',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mobo-sqlite-'));
    const adapter = createAdapter({ kind: 'sqlite', url: join(dir, 'data.db') });
    await adapter.connect();
    return {
      adapter,
      cleanup: async () => {
        await adapter.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  { transactions: true, textAllowsNul: true },
);
