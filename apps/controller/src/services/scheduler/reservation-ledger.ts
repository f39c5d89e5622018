// Which database reads may replace what the scheduling index holds for a host. A read is marked
// when it is sent; a host's row in it may be applied only when every reservation made on the host
// had been committed (or had failed) before that mark, so the read saw them all, and no later read
// of the host was applied already. Hosts that fail this stay dirty and are read again.
export class ReservationLedger {
  private clock = 0;
  // Per host id: reservations made and not yet committed or failed.
  private readonly open = new Map<string, number>();
  // Per host id: the clock when its last reservation was committed or failed, and when a read of it was applied.
  private readonly settledAt = new Map<string, number>();
  private readonly appliedAt = new Map<string, number>();
  // Commands written for reservations: their creation is already counted, so its event changes nothing.
  private readonly written = new Set<string>();

  // The mark of a read about to be sent.
  mark(): number {
    return ++this.clock;
  }

  begin(hostIds: readonly string[]): void {
    for (const id of hostIds) this.open.set(id, (this.open.get(id) ?? 0) + 1);
  }

  // The reservations on these hosts are committed (with their command ids) or failed.
  settle(hostIds: readonly string[], commandIds: readonly string[] = []): void {
    const at = ++this.clock;
    for (const id of hostIds) {
      const n = (this.open.get(id) ?? 0) - 1;
      if (n > 0) this.open.set(id, n);
      else this.open.delete(id);
      this.settledAt.set(id, at);
    }
    for (const id of commandIds) this.written.add(id);
  }

  mayApply(hostId: string, mark: number): boolean {
    if ((this.open.get(hostId) ?? 0) > 0) return false;
    return (this.settledAt.get(hostId) ?? 0) < mark && (this.appliedAt.get(hostId) ?? 0) < mark;
  }

  applied(hostId: string, mark: number): void {
    this.appliedAt.set(hostId, mark);
  }

  // True for a command a reservation wrote, until it ends: its announcement needs no read.
  wrote(commandId: string): boolean {
    return this.written.has(commandId);
  }

  ended(commandId: string): void {
    this.written.delete(commandId);
  }

  openOn(hostId: string): number {
    return this.open.get(hostId) ?? 0;
  }
}
