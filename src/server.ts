/**
 * `npm start`: the Probot server. Without APP_ID and a private key Probot serves its setup page,
 * which registers the app from app.yml.
 */
import { run } from 'probot';
import { opsboxApp } from './index.js';

await run(opsboxApp);
