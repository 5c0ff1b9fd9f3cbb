import type { RequestContext } from '@opsgraph/core';
import type { Loaders } from './loaders';

export type Context = RequestContext<Loaders>;
