import type { ComponentSlot } from '../board.js';
import { uiErrors } from './errors.js';
import { mountUi } from './routes.js';

export { CONTENT_SECURITY_POLICY } from './routes.js';

/** MagUI: the admin page at `/_/`, served by every node from the package. */
export const uiSlot: ComponentSlot = { name: 'ui', group: 'edge', errors: uiErrors, routes: mountUi };
