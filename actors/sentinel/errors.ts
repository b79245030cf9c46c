import { defineErrors } from '../../runtime/index.js';

/** MagSentinel's error codes, merged into the node's one catalogue when the component plugs in. */
export const sentinelErrors = defineErrors({
  // Says nothing of why: a prober learns nothing from the refusal.
  SENTINEL_BLOCKED: { status: 403, message: 'The request was refused', pusher: 4009, mqtt: 0x8a },
  SENTINEL_TARGET_INVALID: { status: 400, message: 'The block target is invalid' },
  SENTINEL_BLOCK_NOT_FOUND: { status: 404, message: 'No such block or allow entry' },
  SENTINEL_MODEL_INVALID: { status: 500, message: 'The SQLGuard model could not be loaded' },
});

declare module '../../runtime/errors.js' {
  interface ComponentErrorCodes {
    SENTINEL_BLOCKED: true;
    SENTINEL_TARGET_INVALID: true;
    SENTINEL_BLOCK_NOT_FOUND: true;
    SENTINEL_MODEL_INVALID: true;
  }
}
