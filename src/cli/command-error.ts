// A command that could not do its job: one line on stderr, exit code 1.
import { ProvenanceQueueError } from '../errors.js';

export class CommandError extends ProvenanceQueueError {}
