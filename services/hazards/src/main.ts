import { runService } from '@opsgraph/core';
import { service } from './service';

void runService(service);
