/**
 * A schema users really have, per SQL backend: odd names (a dash, a quote, a space, unicode,
 * reserved words), identity/serial/AUTOINCREMENT keys that do not start at 1, defaults,
 * NOT NULL, CHECK, UNIQUE, a foreign key with ON DELETE CASCADE, expression and partial indexes,
 * and the backend's own types (arrays, jsonb, bytea, numeric, timestamptz …).
 */
import type { SqlKind } from './exact.js';

export const ODD_TABLE = 'order-items';
export const ODD_COLUMN = 'Odd"Name';

export const schemaSql: Record<SqlKind, string> = {
  postgres: `
CREATE TABLE "Parent Table" (k text PRIMARY KEY, n serial NOT NULL);
CREATE TABLE "order-items" (
  id bigint GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 5) PRIMARY KEY,
  "Odd""Name" text NOT NULL DEFAULT 'x''y',
  "select" integer[] DEFAULT '{1,2}',
  doc jsonb NOT NULL DEFAULT '{}'::jsonb,
  raw bytea,
  price numeric(12,4) CONSTRAINT "price-positive" CHECK (price >= 0),
  at timestamptz DEFAULT now(),
  "ünï code" varchar(20) UNIQUE,
  "with space" serial,
  parent text REFERENCES "Parent Table"(k) ON DELETE CASCADE
);
CREATE INDEX "idx-odd" ON "order-items" (lower("Odd""Name"), price DESC);
CREATE UNIQUE INDEX "partial one" ON "order-items" (raw) WHERE raw IS NOT NULL;
INSERT INTO "Parent Table" (k) VALUES ('p1'), ('p''2');
INSERT INTO "order-items" ("Odd""Name", "select", doc, raw, price, at, "ünï code", parent) VALUES
  ('a', '{3,4}', '{"a":[1,2,{"b":null}]}', '\\x00ff10', 12.3456, '2024-02-29 23:59:59.123456+00', 'ü1', 'p1'),
  (E'tab\\there\\nnew "line"', NULL, '[]', NULL, 0, NULL, NULL, 'p''2'),
  ('back\\slash', '{}', '"str"', '\\x', 99999999.9999, '1999-01-01 00:00:00+05', 'x', NULL);
INSERT INTO "order-items" DEFAULT VALUES;
SELECT nextval('"Parent Table_n_seq"');`,
  mysql: `
CREATE TABLE \`Parent Table\` (k VARCHAR(20) PRIMARY KEY) ENGINE=InnoDB;
CREATE TABLE \`order-items\` (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  \`Odd"Name\` VARCHAR(50) NOT NULL DEFAULT 'x''y',
  \`select\` INT DEFAULT 7,
  doc JSON,
  raw BLOB,
  price DECIMAL(12,4),
  at DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6),
  \`ünï code\` VARCHAR(20) UNIQUE,
  parent VARCHAR(20),
  KEY \`idx-odd\` (\`Odd"Name\`, price),
  CONSTRAINT \`price-positive\` CHECK (price >= 0),
  CONSTRAINT \`fk-parent\` FOREIGN KEY (parent) REFERENCES \`Parent Table\` (k) ON DELETE CASCADE
) ENGINE=InnoDB AUTO_INCREMENT=100;
INSERT INTO \`Parent Table\` VALUES ('p1'), ('p''2');
INSERT INTO \`order-items\` (\`Odd"Name\`, doc, raw, price, at, \`ünï code\`, parent) VALUES
  ('a', '{"a":[1,2,{"b":null}]}', x'00ff10', 12.3456, '2024-02-29 23:59:59.123456', 'ü1', 'p1'),
  ('tab\\there\\nnew "line"', '[]', NULL, 0, NULL, NULL, 'p''2'),
  ('back\\\\slash', '"str"', x'', 99999999.9999, '1999-01-01 00:00:00', 'x', NULL);
INSERT INTO \`order-items\` () VALUES ();`,
  sqlite: `
CREATE TABLE "Parent Table" (k TEXT PRIMARY KEY);
CREATE TABLE "order-items" (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  "Odd""Name" TEXT NOT NULL DEFAULT 'x''y',
  "select" INTEGER DEFAULT 7,
  doc JSON,
  raw BLOB,
  price NUMERIC CONSTRAINT "price-positive" CHECK (price >= 0),
  at TEXT DEFAULT CURRENT_TIMESTAMP,
  "ünï code" TEXT UNIQUE,
  parent TEXT REFERENCES "Parent Table"(k) ON DELETE CASCADE
);
CREATE INDEX "idx-odd" ON "order-items" ("Odd""Name", price);
CREATE TRIGGER "touch it" AFTER UPDATE ON "order-items" BEGIN SELECT 1; END;
INSERT INTO "Parent Table" VALUES ('p1'), ('p''2');
INSERT INTO "order-items" (id, "Odd""Name", doc, raw, price, "ünï code", parent) VALUES
  (100, 'a', '{"a":[1,2,{"b":null}]}', x'00ff10', 12.3456, 'ü1', 'p1'),
  (101, 'tab	here
new "line"', '[]', NULL, 0, NULL, 'p''2'),
  (102, 'back\\slash', '"str"', x'', 99999999.9999, 'x', NULL);
INSERT INTO "order-items" DEFAULT VALUES;
DELETE FROM "order-items" WHERE id = 103;`,
};

/** An insert relying on every default; answers the generated key. */
export const insertDefaults: Record<SqlKind, string> = {
  postgres: `INSERT INTO "order-items" DEFAULT VALUES RETURNING id, "with space" AS n, "Odd""Name" AS name, doc::text AS doc`,
  mysql: 'INSERT INTO `order-items` () VALUES ()',
  sqlite: `INSERT INTO "order-items" DEFAULT VALUES RETURNING id, "Odd""Name" AS name, "select" AS s`,
};
