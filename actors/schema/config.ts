import { z } from 'zod';
import { configSection } from '../../config/section.js';

/** The schema component's section (`schema.*`). */
export const schemaConfig = configSection(
  'schema',
  z
    .object({
      /** How often each node looks for tables changed outside MagMoBoMini (psql …); 0 turns it off. */
      checkEveryMs: z.number().int().min(0).default(5_000),
      /** Where `<project>/<source>/<timestamp>_<name>.sql` live (default: `<dataDir>/migrations`). */
      migrationsDir: z.string().min(1).optional(),
    })
    .strict()
    .default({}),
);
