import { defineErrors } from '../../runtime/index.js';

/** MagUI's error codes, merged into the node's one catalogue when the component plugs in. */
export const uiErrors = defineErrors({
  UI_NOT_BUILT: { status: 503, message: 'The admin page is not built (npm run build builds it)' },
});

declare module '../../runtime/errors.js' {
  interface ComponentErrorCodes {
    UI_NOT_BUILT: true;
  }
}
