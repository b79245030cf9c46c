import { z } from 'zod';
import type { DescribedTable, SchemaOp } from '../../adapters/index.js';
import { defineProtocol, reply } from '../../runtime/index.js';
import { resourceName } from '../ds/names.js';
import type { DiffReport } from './diff.js';
import type { MigrationStatus } from './migrations.js';

const TYPES = ['text', 'integer', 'float', 'boolean', 'timestamp', 'json', 'bytes', 'uuid'] as const;
const ACTIONS = ['cascade', 'restrict', 'set null', 'set default', 'no action'] as const;
const name = z.string().min(1).max(200);
const defaultValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.object({ sql: z.string().min(1) }).strict()]);

export const columnSpec = z
  .object({
    name,
    type: z.enum(TYPES),
    nullable: z.boolean().optional(),
    default: defaultValue.optional(),
    unique: z.boolean().optional(),
    check: z.string().min(1).optional(),
    identity: z.boolean().optional(),
    primaryKey: z.boolean().optional(),
  })
  .strict();

const foreignKey = z
  .object({
    name: name.optional(),
    columns: z.array(name).min(1),
    references: z.object({ table: name, columns: z.array(name).min(1) }).strict(),
    onDelete: z.enum(ACTIONS).optional(),
    onUpdate: z.enum(ACTIONS).optional(),
  })
  .strict();

export const schemaOp: z.ZodType<SchemaOp> = z.discriminatedUnion('op', [
  z.object({ op: z.literal('createTable'), table: z.object({ name, columns: z.array(columnSpec).min(1), primaryKey: z.array(name).optional(), foreignKeys: z.array(foreignKey).optional() }).strict() }),
  z.object({ op: z.literal('renameTable'), table: name, to: name }),
  z.object({ op: z.literal('dropTable'), table: name }),
  z.object({ op: z.literal('addColumn'), table: name, column: columnSpec }),
  z.object({ op: z.literal('alterColumn'), table: name, column: name, type: z.enum(TYPES).optional(), nullable: z.boolean().optional(), default: defaultValue.optional() }),
  z.object({ op: z.literal('renameColumn'), table: name, column: name, to: name }),
  z.object({ op: z.literal('dropColumn'), table: name, column: name }),
  z.object({ op: z.literal('createIndex'), table: name, name: name.optional(), columns: z.array(name).min(1), unique: z.boolean().optional() }),
  z.object({ op: z.literal('dropIndex'), table: name, index: name }),
  z.object({ op: z.literal('createView'), view: name, select: z.string().min(1) }),
  z.object({ op: z.literal('dropView'), view: name }),
]);

const source = z.object({ project: resourceName, source: resourceName });

export type ChangeReply = { dryRun: true; sql: string[] } | { sql: string[]; table?: DescribedTable };

/** The messages the `schema` actor answers (the admin API and the CLI reach them). */
export const schemaProtocol = defineProtocol({
  'schema.describe': { payload: source.extend({ table: name }), reply: reply<DescribedTable>() },
  'schema.change': { payload: source.extend({ change: schemaOp, dryRun: z.boolean().optional() }), reply: reply<ChangeReply>() },
  'migrate.status': { payload: source, reply: reply<{ migrations: MigrationStatus[] }>() },
  'migrate.new': { payload: source.extend({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, 'letters, digits, _ and - only'), up: z.string().optional(), down: z.string().optional() }), reply: reply<{ id: string; file: string }>() },
  'migrate.up': { payload: source.extend({ dryRun: z.boolean().optional(), to: z.string().min(1).optional() }), reply: reply<{ applied: string[]; sql?: string[] }>() },
  'migrate.down': { payload: source.extend({ dryRun: z.boolean().optional(), steps: z.number().int().min(1).max(10_000).optional() }), reply: reply<{ reverted: string[]; sql?: string[] }>() },
  'migrate.redo': { payload: source.extend({ dryRun: z.boolean().optional() }), reply: reply<{ reverted: string[]; applied: string[]; sql?: string[] }>() },
  'db.diff': { payload: source, reply: reply<DiffReport>() },
});
