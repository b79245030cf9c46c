import { defineErrors } from '../../runtime/index.js';

/** The schema component's codes (docs/schema-api.md), merged into the node's catalogue when it plugs in. */
export const schemaErrors = defineErrors({
  SCHEMA_INVALID: { status: 400, message: 'The schema change is invalid' },
  SCHEMA_EXISTS: { status: 409, message: 'A table, column, index or view of that name already exists' },
  SCHEMA_NOT_FOUND: { status: 404, message: 'No such table, column, index or view' },
  SCHEMA_CAST_FAILED: { status: 422, message: 'The data in the column does not fit the change' },
  SCHEMA_UNSUPPORTED: { status: 400, message: 'The data source has no such schema operation' },
  SCHEMA_MIGRATION_CHANGED: { status: 409, message: 'An applied migration has been edited since it was applied' },
  SCHEMA_MIGRATION_FAILED: { status: 422, message: 'A migration failed; nothing of it was kept' },
  SCHEMA_MIGRATION_LOCKED: { status: 409, message: "Another migration run holds the source's lock" },
  SCHEMA_MIGRATION_MISSING: { status: 409, message: 'The migration file, or its down section, is missing' },
});

declare module '../../runtime/index.js' {
  interface ComponentErrorCodes {
    SCHEMA_INVALID: true;
    SCHEMA_EXISTS: true;
    SCHEMA_NOT_FOUND: true;
    SCHEMA_CAST_FAILED: true;
    SCHEMA_UNSUPPORTED: true;
    SCHEMA_MIGRATION_CHANGED: true;
    SCHEMA_MIGRATION_FAILED: true;
    SCHEMA_MIGRATION_LOCKED: true;
    SCHEMA_MIGRATION_MISSING: true;
  }
}
