import { BatchkeeperError } from '../core/errors.ts';

/** An API call without the console's token, or with another one. */
export class ConsoleTokenError extends BatchkeeperError {
  constructor() {
    super('the console token is missing or wrong: open the URL the console printed', {
      header: 'X-Batchkeeper-Token',
    });
  }
}

/** A state-changing call that did not come from the console's own page (another site, or not JSON). */
export class CrossSiteRequestError extends BatchkeeperError {
  constructor(ctx: { reason: string }) {
    super(`refused a state-changing request: ${ctx.reason}`, ctx);
  }
}

/** No API route has this method and path. */
export class RouteNotFoundError extends BatchkeeperError {
  constructor(ctx: { method: string; path: string }) {
    super(`no API route ${ctx.method} ${ctx.path}`, ctx);
  }
}
