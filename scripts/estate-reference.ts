import { writeFileSync } from 'node:fs';
import { estateReference } from '../src/config/reference';

writeFileSync('docs/estate-reference.md', estateReference());
console.log('wrote docs/estate-reference.md');
