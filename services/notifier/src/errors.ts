import { VigilError } from '@vigil/errors';

/** An API request for an incident or suppression that does not exist (404). */
export class NotFoundError extends VigilError {
  constructor(message: string) {
    super('VIGIL_NOT_FOUND', message);
  }
}
