import { z } from 'zod';
import { configSection } from '../../config/index.js';

/** The schema component's section (`schema.*`). */
export const schemaConfig = configSection(
  'schema',
  z
    .object({
      /**
       * How often each node looks for tables changed outside MagMoBoMini (psql …); 0 turns it off.
       * Every source re-reads its catalog on each look, so with hundreds of tenants per node this
       * is a real load: 30 s by default; changes made through MagMoBoMini are announced at once.
       */
      checkEveryMs: z.number().int().min(0).default(30_000),
      /** How long a migration run waits for another run's lock on the source before SCHEMA_MIGRATION_LOCKED. */
      lockWaitSeconds: z.number().min(0).max(3_600).default(30),
      /** Where `<project>/<source>/<timestamp>_<name>.sql` live (default: `<dataDir>/migrations`). */
      migrationsDir: z.string().min(1).optional(),
    })
    .strict()
    .default({}),
);
