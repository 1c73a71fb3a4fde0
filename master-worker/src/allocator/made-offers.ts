/**
 * The offers one allocation run made, told apart when they show up in the master's view. The
 * input cache charges an offer as soon as it is made; when the master commits it (and the view
 * shows it as new) the cache must not charge it again, and an offer never committed must be
 * taken back. The master commits a run's offers in the order they were made, so this is one
 * pointer comparison per offer, no map of 10,000 ids per cycle; a view that shows them in
 * another order, or only some, or copies of them, is handled too (with a set of the rest).
 */
import type { Offer } from "../../../schemas/index.ts";

/** Offers made since the last `end()`, in the order made. */
export class MadeOffers {
  private made: Offer[] = [];
  /** How many of `made` the view has shown, in order. */
  private seen = 0;
  /** The ones not shown yet, once the view showed one out of order. */
  private left: Set<Offer> | undefined;

  /** Records an offer the run made. */
  add(offer: Offer): void {
    this.made.push(offer);
  }

  /** True (once per offer) when `offer`, new in the view, is one made since the last `end()`. */
  take(offer: Offer): boolean {
    if (!this.left) {
      if (this.made[this.seen] === offer) {
        this.seen += 1;
        return true;
      }
      if (this.seen === this.made.length) return false;
      this.left = new Set(this.made.slice(this.seen));
    }
    return this.left.delete(offer);
  }

  /** The offers made but not taken (never committed); starts afresh. */
  end(): Iterable<Offer> {
    const left = this.left ?? this.made.slice(this.seen);
    this.made = [];
    this.seen = 0;
    this.left = undefined;
    return left;
  }
}
