// Wistia's list endpoints page by `page` (1-based) and `per_page` (at most 100) and return bare arrays with no
// total (../shared/wistia-api README, paging): a listing ends on a short or empty page, so n items cost
// floor(n / 100) + 1 requests. Kept apart from the client so the pure planning core can size listings without
// importing the HTTP client.

export const PER_PAGE = 100;

/** Requests a listing of `items` costs: its full pages, and the short (or empty) one that ends it. */
export const listingPages = (items: number): number => Math.floor(items / PER_PAGE) + 1;

/** How far to page ahead: pages up to `through` (an estimate of the listing's last page) `window` at a time. */
export interface PageAhead {
  readonly through: number;
  readonly window: number;
}
export const NO_PAGE_AHEAD: PageAhead = { through: 0, window: 1 };
/** Requests a paged listing keeps in flight up to its estimated last page. */
export const PAGE_AHEAD_WINDOW = 3;
