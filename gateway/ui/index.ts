/** MagUI: the admin page at `/_/` (its slot is `uiSlot` in gateway/http-slot.ts, beside the edge's other slots). */
export { uiErrors } from './errors.js';
export { mountUi, CONTENT_SECURITY_POLICY } from './routes.js';
