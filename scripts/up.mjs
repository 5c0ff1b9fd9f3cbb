// `npm run up`: install from the lockfile, then start everything (see scripts/start.mjs).
import { install } from './lib.mjs';

install();
await import('./start.mjs');
