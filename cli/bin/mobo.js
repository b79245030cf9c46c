#!/usr/bin/env node
// Launcher for the bundled CLI (npm run build writes dist/bundle: one module graph of our
// own code instead of ~300 files, which halves the time from process start to READY).
import '../../dist/bundle/main.js';
