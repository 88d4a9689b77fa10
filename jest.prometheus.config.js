/** Tests against a real Prometheus binary (Debian package `prometheus`). */
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['**/*.prometheus.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 120000,
};
