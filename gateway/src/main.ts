import { runGateway } from './gateway';

runGateway();
