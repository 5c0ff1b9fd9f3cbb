import { logger } from '@opsgraph/core';
import { startGateway } from './gateway';

process.env.OPSGRAPH_SERVICE ??= 'gateway';
startGateway()
  .then((app) => {
    const stop = async () => {
      await app.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  })
  .catch((err) => {
    logger.fatal({ err }, 'gateway failed to start');
    process.stderr.write(`gateway could not start: ${(err as Error).message}\n`);
    process.exit(1);
  });
