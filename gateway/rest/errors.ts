import { defineErrors } from '../../runtime/index.js';

/** MagGate REST's own codes (the plug-in contract: merged into the catalogue when the `rest` slot is on the board). */
export const restErrors = defineErrors({
  IDEMPOTENCY_KEY_INVALID: { status: 400, message: 'The Idempotency-Key header must be 1 to 255 visible ASCII characters' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, message: 'This Idempotency-Key was already used for a different request' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, message: 'A request with this Idempotency-Key is still being handled; retry shortly' },
});

declare module '../../runtime/errors.js' {
  interface ComponentErrorCodes {
    IDEMPOTENCY_KEY_INVALID: true;
    IDEMPOTENCY_KEY_REUSED: true;
    IDEMPOTENCY_IN_PROGRESS: true;
  }
}
