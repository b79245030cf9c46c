/**
 * Which top-level folder may import which (checked by test/architecture/dependencies.test.ts,
 * part of `npm test`). The direction:
 *
 *   tools (generic: token bucket …)   ← everything may use it; it uses nothing of ours
 *   runtime  ← supervisors ← actors (components) ← gateway (edge) ← cli
 *   cluster, adapters, config beside runtime (they use runtime and tools only)
 *
 * and across folders only through the folder's index.ts. Violations that exist today are
 * listed, each by file, in .dependency-cruiser-known-violations.json (written by
 * `npm run deps:baseline`): the check prints how many remain and fails on any new one.
 * Shrink that list; never grow it.
 */
const LAYERS = {
  tools: [],
  runtime: ['tools'],
  cluster: ['runtime', 'tools'],
  adapters: ['runtime', 'tools'],
  config: ['runtime', 'tools'],
  supervisors: ['runtime', 'tools'],
  actors: ['runtime', 'supervisors', 'cluster', 'adapters', 'config', 'tools'],
  gateway: ['runtime', 'supervisors', 'cluster', 'adapters', 'config', 'tools', 'actors'],
  cli: ['runtime', 'supervisors', 'cluster', 'adapters', 'config', 'tools', 'actors', 'gateway'],
};
const FOLDERS = Object.keys(LAYERS);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...FOLDERS.map((folder) => ({
      name: `layer-${folder}`,
      comment: `${folder}/ may import only ${LAYERS[folder].join(', ') || 'nothing of ours'} (and itself)`,
      severity: 'error',
      from: { path: `^${folder}/` },
      to: { path: `^(${FOLDERS.filter((f) => f !== folder && !LAYERS[folder].includes(f)).join('|')})/` },
    })),
    {
      name: 'through-index',
      comment: 'across top-level folders only through the folder index.ts',
      severity: 'error',
      from: { path: `^(${FOLDERS.join('|')})/` },
      to: { path: `^(${FOLDERS.join('|')})/.+`, pathNot: [`^(${FOLDERS.join('|')})/index\\.ts$`, '^$1/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|test|bench)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
