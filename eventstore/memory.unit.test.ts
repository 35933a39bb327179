import { eventStoreContract } from './testing/contract';
import { InMemoryEventStore } from './memory';

eventStoreContract('InMemoryEventStore', async () => new InMemoryEventStore('catalog'));
