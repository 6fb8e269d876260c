import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Integration files each start their own redis-server / containers; two cores, so keep it modest.
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default'],
  },
});
