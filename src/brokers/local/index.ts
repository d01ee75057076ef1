import { registerBroker } from '../../core/broker-registry.ts';
import { LocalBroker } from './local-broker.ts';

registerBroker('local', (url) => new LocalBroker(url));

export { LocalBroker, parseLocalUrl } from './local-broker.ts';
