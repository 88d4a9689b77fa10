/**
 * `npm start` (`node dist/src/server.js`): the Probot server with the app. Without APP_ID and a
 * private key Probot serves its setup page, which registers the app from app.yml.
 */
import { serve } from './serve.js';

await serve();
