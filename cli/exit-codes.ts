/** What `mobo` exit codes mean; scripts may rely on them. */
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  UNHEALTHY: 4,
  NOT_FOUND: 5,
  CONFIG: 6,
  FATAL: 70,
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
