/** Tests against real servers from Debian packages: Prometheus, PostgreSQL (`npm run test:prometheus`). */
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['**/*.prometheus.test.ts', '**/*.postgres.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 120000,
};
