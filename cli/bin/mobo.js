#!/usr/bin/env node
// Launcher for the compiled CLI (npm run build writes dist/).
import '../../dist/cli/main.js';
