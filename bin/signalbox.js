#!/usr/bin/env node
// The CLI runs from the compiled output; `npm install` builds it through the `prepare` script.
import '../dist/src/cli/main.js';
