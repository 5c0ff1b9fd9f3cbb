import { logger } from '@opsgraph/core';

/** pino keeps its destination under a symbol of its own; found by its description, so tests need no pino import. */
const streamSymbol = () => {
  const symbol = Object.getOwnPropertySymbols(logger).find((s) => s.description === 'pino.stream');
  if (!symbol) throw new Error('captureLogs: the logger has no pino stream');
  return symbol;
};

/** Log lines written while capturing (at `level` and above), parsed; nothing reaches stdout meanwhile. */
export function captureLogs(level: 'debug' | 'info' = 'info') {
  const lines: Record<string, any>[] = [];
  const holder = logger as unknown as Record<symbol, unknown>;
  const symbol = streamSymbol();
  const stream = holder[symbol];
  const previous = logger.level;
  holder[symbol] = { write: (line: string) => void lines.push(JSON.parse(line)) };
  logger.level = level;
  return {
    lines,
    stop() {
      holder[symbol] = stream;
      logger.level = previous;
    },
  };
}
